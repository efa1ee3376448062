/**
 * The SQLite store (better-sqlite3): durable history on one machine, shared
 * by every process that opens the same file.
 *
 * Writes use group commit: appends that arrive in the same tick are written
 * in one transaction, and each append resolves only once that transaction has
 * committed, so a publish answered 200 is as durable as the configured
 * `durability` promises. Other processes' events are found by watching
 * `PRAGMA data_version` and fed in position order with this process's own.
 * Pruning runs in small chunks between ticks, so it never holds publishing up.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { draftFields, type EventDraft, type StoredEvent } from '../engine/event.js';
import { AndonError } from '../errors.js';
import { encodeEvent } from '../sse/encoder.js';
import { notifyListeners } from './listeners.js';
import { RecentEvents } from './recent-events.js';
import { DEFAULT_MAX_RETAINED_TOPICS, DEFAULT_RETENTION } from './retention.js';
import {
  EVENT_COLUMNS,
  type EventRow,
  retainedValues,
  rowDraft,
  rowValues,
} from './sqlite-rows.js';
import { prepareSchema } from './sqlite-schema.js';
import type {
  ReadOptions,
  ReadPage,
  RetainedSnapshot,
  RetentionPolicy,
  Store,
  StoreFilter,
  StoreHead,
  StoreHealth,
  StoreListener,
} from './store.js';

/**
 * What "durable" means for an acknowledged publish:
 * - `commit` (default): fsync at every group commit (`synchronous=FULL`);
 *   survives a power loss. Costs one disk flush per tick, not per event.
 * - `batch`: WAL with `synchronous=NORMAL`; survives a crash of the process
 *   (SIGKILL included), but a power loss may lose the last commits.
 * - `none`: `synchronous=OFF`; survives a process crash, while an OS crash or
 *   power loss may lose or corrupt recent data. For throwaway data only.
 */
export type Durability = 'commit' | 'batch' | 'none';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file; created with its directory when missing. */
  readonly path: string;
  /** See {@link Durability}. Default `commit`. */
  readonly durability?: Durability;
  /** How much history is kept. Default 100,000 events and 7 days. */
  readonly retention?: Partial<RetentionPolicy>;
  /** Most topics whose latest event is retained. Default 100,000. */
  readonly maxRetainedTopics?: number;
  /** Largest database size in bytes; publishes fail with 503 past it. Default 0: no limit. */
  readonly maxSizeBytes?: number;
  /** Write each append in its own transaction instead of grouping a tick's appends (benchmarks). */
  readonly groupCommit?: boolean;
  /** How often to look for events written by other processes, in ms. Default 25. */
  readonly pollIntervalMs?: number;
  /** How often retention runs, in ms. Default 5000. */
  readonly pruneIntervalMs?: number;
}

/** Rows deleted per pruning transaction: short enough that a publish never waits long. */
export const PRUNE_CHUNK = 2000;
/** Rows a read scans at most before it returns a page (the caller reads on from `through`). */
export const READ_SCAN_LIMIT = 10_000;
/** While writes fail, `health()` checks at most this often (in ms) whether they work again. */
export const HEALTH_RECHECK_MS = 1000;

// The statements replay depends on, exported so sqlite-plan.test.ts can check
// their query plans: each must be an index or primary-key search, never a scan.
/** Events after a position (reads, and polling for other processes' events). */
export const READ_AFTER_SQL = 'SELECT * FROM events WHERE position > ? ORDER BY position';
/** Events between two positions, both excluded (other processes' events before our own). */
export const READ_RANGE_SQL =
  'SELECT * FROM events WHERE position > ? AND position < ? ORDER BY position';
/** The position of an id (its latest, should a publisher reuse one). */
export const RESOLVE_ID_SQL =
  'SELECT position FROM events WHERE id = ? ORDER BY position DESC LIMIT 1';

interface Pending {
  readonly drafts: readonly EventDraft[];
  readonly bytes: readonly Buffer[];
  readonly resolve: (events: StoredEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

function unavailable(what: string, error: unknown): AndonError {
  const code = (error as { code?: string }).code;
  return new AndonError(
    'ANDON_STORE_UNAVAILABLE',
    `The SQLite store cannot ${what} (${code ?? 'error'}: ${(error as Error).message}).`,
    { cause: error },
  );
}

function toEvent(row: EventRow): StoredEvent {
  const draft = rowDraft(row);
  return { ...draft, bytes: encodeEvent(draftFields(draft)) };
}

class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #retention: RetentionPolicy;
  readonly #maxRetained: number;
  readonly #groupCommit: boolean;
  readonly #listeners = new Set<StoreListener>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #s;
  #queue: Pending[] = [];
  /** Replayed events, built once for every reader. */
  readonly #recent = new RecentEvents();
  #flushScheduled = false;
  #fedThrough: number;
  #dataVersion: number;
  #pruning: Promise<number> | undefined;
  #closed = false;
  #lastWriteError: string | undefined;
  /** Free pages (to the size limit) when a write failed for want of room; undefined otherwise. */
  #roomAtFailure: number | undefined;
  #recheckedAt = 0;

  constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.#db = db;
    this.#retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.#maxRetained = options.maxRetainedTopics ?? DEFAULT_MAX_RETAINED_TOPICS;
    this.#groupCommit = options.groupCommit !== false;
    this.#s = {
      insert: db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      retain: db.prepare(
        `INSERT INTO retained (topic, position, ${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (topic) DO UPDATE SET position = excluded.position, id = excluded.id,
           type = excluded.type, data = excluded.data, retry = excluded.retry, topics = excluded.topics,
           private = excluded.private, key = excluded.key, time = excluded.time`,
      ),
      after: db.prepare(READ_AFTER_SQL),
      range: db.prepare(READ_RANGE_SQL),
      resolve: db.prepare(RESOLVE_ID_SQL),
      head: db.prepare('SELECT position, id FROM events ORDER BY position DESC LIMIT 1'),
      retained: db.prepare('SELECT * FROM retained ORDER BY position'),
      meta: db.prepare('SELECT value FROM andon_meta WHERE key = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO andon_meta (key, value) VALUES (?, ?)'),
      // Both use an index: pruning costs the rows it removes, not the history it keeps.
      firstSince: db.prepare('SELECT position FROM events WHERE time >= ? ORDER BY time LIMIT 1'),
      pruneSelect: db.prepare(
        'SELECT position, id FROM events WHERE position <= ? ORDER BY position LIMIT ?',
      ),
      pruneDelete: db.prepare('DELETE FROM events WHERE position <= ?'),
      retainedCount: db.prepare('SELECT count(*) AS n FROM retained'),
      retainedTrim: db.prepare(
        'DELETE FROM retained WHERE topic IN (SELECT topic FROM retained ORDER BY position LIMIT ?)',
      ),
    };
    this.#fedThrough = this.#headRow()?.position ?? 0;
    this.#dataVersion = db.pragma('data_version', { simple: true }) as number;
    const poll = setInterval(() => this.#poll(), options.pollIntervalMs ?? 25);
    const prune = setInterval(
      () => void this.prune().catch(() => {}),
      options.pruneIntervalMs ?? 5000,
    );
    poll.unref();
    prune.unref();
    this.#timers.push(poll, prune);
  }

  health(): { ok: boolean; detail: string } {
    if (this.#closed) return { ok: false, detail: 'closed' };
    if (this.#lastWriteError !== undefined) this.#recheck();
    return this.#lastWriteError === undefined
      ? { ok: true, detail: 'sqlite: writing' }
      : { ok: false, detail: this.#lastWriteError };
  }

  append(drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    if (this.#closed) return Promise.reject(closedError());
    let bytes: Buffer[];
    try {
      bytes = drafts.map((draft) => encodeEvent(draftFields(draft)));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ drafts, bytes, resolve, reject });
      if (!this.#groupCommit) this.#flush();
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const now = Date.now();
    let results: StoredEvent[][];
    try {
      results = this.#db.transaction(() =>
        batch.map((pending) =>
          pending.drafts.map((draft, i) => {
            const position = Number(this.#s.insert.run(...rowValues(draft, now)).lastInsertRowid);
            const event: StoredEvent = { ...draft, position, time: now, bytes: pending.bytes[i]! };
            this.#s.retain.run(...retainedValues(event));
            return event;
          }),
        ),
      )();
    } catch (error) {
      const refusal = unavailable('write', error);
      this.#lastWriteError = refusal.message;
      this.#roomAtFailure =
        (error as { code?: string }).code === 'SQLITE_FULL' ? this.#room() : undefined;
      for (const pending of batch) pending.reject(refusal);
      return;
    }
    this.#lastWriteError = undefined;
    this.#feed(results.flat());
    for (const [i, pending] of batch.entries()) pending.resolve(results[i]!);
  }

  /**
   * Clears the write error once writing works again, without waiting for a
   * publish: a load balancer reading `/healthz` sends none to a degraded hub.
   * The probe commits one small row. A full database must also have more room
   * than when the write failed (pruning freed pages), since the probe fits
   * where an event did not.
   */
  #recheck(): void {
    const now = Date.now();
    if (now - this.#recheckedAt < HEALTH_RECHECK_MS) return;
    this.#recheckedAt = now;
    try {
      this.#s.setMeta.run('health_probe', String(now));
      if (this.#roomAtFailure !== undefined && (this.#room() ?? 0) <= this.#roomAtFailure) return;
    } catch {
      // Still failing: keep the error that refused a publish, it says why.
      return;
    }
    this.#lastWriteError = undefined;
    this.#roomAtFailure = undefined;
  }

  /** Pages the database may still use (up to its size limit, plus its free list); undefined if unknown. */
  #room(): number | undefined {
    const pragma = (name: string) => this.#db.pragma(name, { simple: true }) as number;
    try {
      return pragma('max_page_count') - pragma('page_count') + pragma('freelist_count');
    } catch {
      return undefined;
    }
  }

  /** Feeds listeners `own` events, after any that other processes committed before them. */
  #feed(own: StoredEvent[]): void {
    const first = own[0];
    if (first === undefined) return;
    let events = own;
    if (first.position !== this.#fedThrough + 1) {
      const others = (this.#s.range.all(this.#fedThrough, first.position) as EventRow[]).map(
        toEvent,
      );
      events = others.concat(own);
    }
    this.#emit(events);
  }

  #poll(): void {
    if (this.#closed) return;
    try {
      const version = this.#db.pragma('data_version', { simple: true }) as number;
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      const rows = this.#s.after.all(this.#fedThrough) as EventRow[];
      if (rows.length > 0) this.#emit(rows.map(toEvent));
    } catch {
      // A failed poll is retried on the next tick; write errors are reported by append.
    }
  }

  #emit(events: StoredEvent[]): void {
    const last = events[events.length - 1];
    if (last === undefined || last.position <= this.#fedThrough) return;
    const fresh = events.filter((e) => e.position > this.#fedThrough);
    this.#fedThrough = last.position;
    notifyListeners(this.#listeners, fresh);
  }

  async read(after: number, options: ReadOptions): Promise<ReadPage> {
    this.#assertOpen();
    try {
      const events: StoredEvent[] = [];
      const gap = after < this.#prunedThrough().position;
      let through = after;
      let scanned = 0;
      let end = true;
      if (options.limit > 0) {
        for (const row of this.#s.after.iterate(after) as IterableIterator<EventRow>) {
          if (events.length >= options.limit || scanned >= READ_SCAN_LIMIT) {
            end = false;
            break;
          }
          scanned++;
          through = row.position;
          const event = this.#recent.get(row.position, () => toEvent(row));
          if (options.filter === undefined || options.filter(event)) events.push(event);
        }
      } else {
        end = (this.#headRow()?.position ?? 0) <= after;
      }
      return { events, through, end, gap };
    } catch (error) {
      throw unavailable('read', error);
    }
  }

  async resolve(id: string): Promise<number | undefined> {
    this.#assertOpen();
    const row = this.#s.resolve.get(id) as { position: number } | undefined;
    if (row !== undefined) return row.position;
    const pruned = this.#prunedThrough();
    return pruned.id === id && pruned.position > 0 ? pruned.position : undefined;
  }

  async latest(filter?: StoreFilter): Promise<RetainedSnapshot> {
    this.#assertOpen();
    const snapshot = this.#db.transaction(() => ({
      rows: this.#s.retained.all() as EventRow[],
      through: this.#headRow()?.position ?? 0,
    }))();
    const events = snapshot.rows.map(toEvent).filter((e) => filter === undefined || filter(e));
    return { events, through: snapshot.through };
  }

  async head(): Promise<StoreHead | undefined> {
    this.#assertOpen();
    return this.#headRow();
  }

  prune(now: number = Date.now()): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    this.#pruning ??= this.#pruneChunks(now).finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async #pruneChunks(now: number): Promise<number> {
    let removed = 0;
    const { maxEvents, maxAgeMs } = this.#retention;
    const head = this.#s.head.get() as StoreHead | undefined;
    if (head === undefined) return 0;
    // Positions are consecutive (one writer at a time; a failed transaction
    // may skip a few), so the count bound is a position bound.
    let through = head.position - maxEvents;
    if (maxAgeMs > 0) {
      const young = this.#s.firstSince.get(now - maxAgeMs) as { position: number } | undefined;
      through = Math.max(through, young === undefined ? head.position : young.position - 1);
    }
    for (;;) {
      if (this.#closed) return removed;
      const rows = this.#s.pruneSelect.all(through, PRUNE_CHUNK) as {
        position: number;
        id: string;
      }[];
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      this.#db.transaction(() => {
        this.#s.pruneDelete.run(last.position);
        this.#s.setMeta.run('pruned_through', String(last.position));
        this.#s.setMeta.run('pruned_through_id', last.id);
      })();
      removed += rows.length;
      if (rows.length < PRUNE_CHUNK) break;
      // Let publishes in between: pruning never holds the store for long.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const retained = (this.#s.retainedCount.get() as { n: number }).n;
    if (retained > this.#maxRetained) this.#s.retainedTrim.run(retained - this.#maxRetained);
    return removed;
  }

  watch(listener: StoreListener): () => void {
    this.#assertOpen();
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#listeners.clear();
    this.#recent.clear();
    await this.#pruning?.catch(() => {});
    this.#db.close();
  }

  #headRow(): StoreHead | undefined {
    const row = this.#s.head.get() as StoreHead | undefined;
    if (row !== undefined) return row;
    const pruned = this.#prunedThrough();
    return pruned.position > 0 ? pruned : undefined;
  }

  #prunedThrough(): StoreHead {
    const position = this.#s.meta.get('pruned_through') as { value: string } | undefined;
    const id = this.#s.meta.get('pruned_through_id') as { value: string } | undefined;
    return { position: position === undefined ? 0 : Number(position.value), id: id?.value ?? '' };
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): AndonError {
  return new AndonError('ANDON_CLOSED', 'The SQLite store is closed.');
}

const SYNCHRONOUS: Readonly<Record<Durability, string>> = {
  commit: 'FULL',
  batch: 'NORMAL',
  none: 'OFF',
};

/**
 * Opens (or creates) the SQLite store at `options.path`. Throws
 * `ANDON_INVALID_SETTING` for a file that is not an Andon store or that a
 * newer Andon wrote, saying what it found.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store & StoreHealth {
  const durability = options.durability ?? 'commit';
  if (SYNCHRONOUS[durability] === undefined) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `SQLite durability must be commit, batch or none; got ${durability}.`,
    );
  }
  let db: Database.Database;
  try {
    mkdirSync(dirname(options.path), { recursive: true });
    db = new Database(options.path);
  } catch (error) {
    throw new AndonError(
      'ANDON_INVALID_SETTING',
      `--store sqlite:${options.path}: cannot open it (${(error as Error).message}).`,
    );
  }
  try {
    prepareSchema(db, options.path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${SYNCHRONOUS[durability]}`);
    db.pragma('busy_timeout = 5000');
    if (options.maxSizeBytes !== undefined && options.maxSizeBytes > 0) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db, options) satisfies Store & StoreHealth;
}
