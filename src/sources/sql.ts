/**
 * The SQL source: runs a query every N seconds and publishes one update per
 * row, keyed by a column, but only for rows that changed since the last poll
 * and a delete (empty data) for rows that are gone.
 *
 * When the database goes away (or the query fails) the source logs it, marks
 * its tiles stale once (republishes their last data with `"stale": true`, so
 * a board does not show old data as current), and retries with a doubling,
 * capped delay. When the query answers again, the tiles are republished from
 * the rows, which clears the mark. Polls never overlap: the next one is set
 * only when the previous one, its publishes included, is done.
 */
import { type Backoff, backoffDelay } from './backoff.js';
import type { Publish, Source, SourceHealth, SourceLogger } from './source.js';
import { SILENT_LOGGER } from './source.js';
import type { SqlConnector, SqlDatabase } from './sql-database.js';
import {
  changesBetween,
  type RowShape,
  RowShapeError,
  type RowTile,
  snapshotOf,
  staleData,
  type TileChange,
} from './sql-rows.js';

/** Retry delays when the database is away: 1 s, doubling, at most 30 s. */
export const DEFAULT_SQL_BACKOFF: Backoff = { initial: 1000, max: 30_000 };

/** Options of {@link createSqlSource}. */
export interface SqlSourceOptions {
  /** Name in logs and `/healthz` (the key under `sources:`). */
  readonly name: string;
  /** Opens the database (see `sql-postgres.ts`, `sql-sqlite.ts`). */
  readonly connect: SqlConnector;
  /** The database as the logs name it, without secrets. */
  readonly database: string;
  /** The query, run as is. */
  readonly query: string;
  /** Ms between the end of one poll and the start of the next. */
  readonly every: number;
  /** Key column, topic template and field mapping. */
  readonly shape: RowShape;
  /** Retry delays while the database is away. Default {@link DEFAULT_SQL_BACKOFF}. */
  readonly retry?: Backoff;
  /** Where it logs. Default: nowhere. */
  readonly logger?: SourceLogger;
  /** The clock. Default `Date.now`. */
  readonly now?: () => number;
}

/** Creates a SQL source (not started). */
export function createSqlSource(options: SqlSourceOptions): Source {
  return new SqlSource(options);
}

interface Outage {
  readonly since: number;
  attempts: number;
  message: string;
  retryAt: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

class SqlSource implements Source {
  readonly name: string;
  readonly #options: SqlSourceOptions;
  readonly #log: SourceLogger;
  readonly #now: () => number;
  readonly #retry: Backoff;
  /** What the hub holds for each key, as published by this source (stale data included). */
  #published = new Map<string, RowTile>();
  #db: SqlDatabase | undefined;
  #outage: Outage | undefined;
  #publishFailing = false;
  #lastPoll: { readonly at: number; readonly rows: number } | undefined;
  #publish: Publish | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: SqlSourceOptions) {
    this.name = options.name;
    this.#options = options;
    this.#log = options.logger ?? SILENT_LOGGER;
    this.#now = options.now ?? (() => Date.now());
    this.#retry = options.retry ?? DEFAULT_SQL_BACKOFF;
  }

  start(publish: Publish): void {
    if (this.#publish !== undefined) throw new Error(`Source ${this.name} is already started.`);
    this.#publish = publish;
    this.#log.info(
      { source: this.name, database: this.#options.database, every: this.#options.every },
      `source ${this.name}: polling ${this.#options.database} every ${this.#options.every} ms`,
    );
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#db?.close();
    this.#db = undefined;
  }

  health(): SourceHealth {
    const outage = this.#outage;
    if (outage !== undefined) {
      return {
        ok: false,
        detail:
          `${this.#options.database} unreachable since ${new Date(outage.since).toISOString()} ` +
          `(${outage.attempts} attempts, next in ${Math.max(0, outage.retryAt - this.#now())} ms): ${outage.message}`,
      };
    }
    if (this.#lastPoll === undefined) return { ok: true, detail: 'starting' };
    const publishing = this.#publishFailing ? '; publishing to the store fails' : '';
    return {
      ok: true,
      detail: `${this.#lastPoll.rows} rows at ${new Date(this.#lastPoll.at).toISOString()}${publishing}`,
    };
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#poll().then((next) => this.#schedule(next));
    }, delay);
  }

  /** One poll; resolves with the delay before the next one. */
  async #poll(): Promise<number> {
    let rows: Awaited<ReturnType<SqlDatabase['query']>>;
    try {
      this.#db ??= await this.#options.connect();
      rows = await this.#db.query(this.#options.query);
    } catch (error) {
      return this.#failed(error);
    }
    let result: ReturnType<typeof snapshotOf>;
    try {
      result = snapshotOf(rows, this.#options.shape);
    } catch (error) {
      return this.#failed(error);
    }
    if (result.nullKeys + result.duplicates > 0) {
      this.#log.warn(
        { source: this.name, nullKeys: result.nullKeys, duplicates: result.duplicates },
        `source ${this.name}: ${result.nullKeys} rows without a ${this.#options.shape.key} were left out; ` +
          `${result.duplicates} rows repeated a key (the last one counts)`,
      );
    }
    const outage = this.#outage;
    if (outage !== undefined) {
      this.#outage = undefined;
      this.#log.info(
        {
          source: this.name,
          database: this.#options.database,
          attempts: outage.attempts,
          downMs: this.#now() - outage.since,
        },
        `source ${this.name}: ${this.#options.database} answers again; republishing its tiles`,
      );
    }
    this.#lastPoll = { at: this.#now(), rows: result.snapshot.size };
    await this.#apply(changesBetween(this.#published, result.snapshot));
    return this.#options.every;
  }

  /** Publishes `changes` in order, recording each one the store took; stops at the first refusal. */
  async #apply(changes: readonly TileChange[]): Promise<void> {
    for (const change of changes) {
      if (this.#stopped || this.#publish === undefined) return;
      try {
        await this.#publish({ topics: [change.topic], data: change.data });
      } catch (error) {
        // What was not published stays different from the rows: the next poll tries it again.
        if (!this.#publishFailing) {
          this.#log.warn(
            { source: this.name, err: error },
            `source ${this.name}: publish failed (${messageOf(error)}); retrying at the next poll`,
          );
        }
        this.#publishFailing = true;
        return;
      }
      if (this.#publishFailing) {
        this.#publishFailing = false;
        this.#log.info({ source: this.name }, `source ${this.name}: publishing again`);
      }
      if (change.data === '') this.#published.delete(change.key);
      else this.#published.set(change.key, change);
    }
  }

  /** Handles a failed poll; resolves with the delay before the retry. */
  async #failed(error: unknown): Promise<number> {
    const db = this.#db;
    this.#db = undefined;
    await db?.close();
    const message = messageOf(error);
    const now = this.#now();
    const first = this.#outage === undefined;
    const outage: Outage = this.#outage ?? { since: now, attempts: 0, message, retryAt: now };
    this.#outage = outage;
    outage.attempts++;
    const delay = backoffDelay(outage.attempts, this.#retry);
    outage.retryAt = now + delay;
    const fields = {
      source: this.name,
      database: this.#options.database,
      attempt: outage.attempts,
      retryInMs: delay,
      err: error,
    };
    if (first) {
      // A query that does not fit the configuration will not fix itself: that is an error, not a warning.
      const level = error instanceof RowShapeError ? 'error' : 'warn';
      this.#log[level](
        fields,
        `source ${this.name}: ${this.#options.database} failed (${message}); ` +
          `marking ${this.#published.size} tiles stale, retrying in ${delay} ms`,
      );
      await this.#markStale();
    } else if (message !== outage.message) {
      this.#log.warn(
        fields,
        `source ${this.name}: still failing (${message}); retrying in ${delay} ms`,
      );
    } else {
      this.#log.debug(fields, `source ${this.name}: still failing; retrying in ${delay} ms`);
    }
    outage.message = message;
    return delay;
  }

  /** Republishes every tile once with `"stale": true`. */
  async #markStale(): Promise<void> {
    const stale: TileChange[] = [];
    for (const tile of this.#published.values()) {
      stale.push({ key: tile.key, topic: tile.topic, data: staleData(tile.data) });
    }
    await this.#apply(stale);
  }
}
