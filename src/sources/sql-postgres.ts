/**
 * PostgreSQL for the SQL source, through `pg` (loaded on first use, so a hub
 * without a PostgreSQL source never loads it). One connection per source:
 * a poller runs one query at a time. A connection the server drops (restart,
 * outage) emits `error` outside any query; that is caught here, and the next
 * query fails, so the source reconnects instead of the process crashing.
 */
import type { SqlConnector, SqlDatabase, SqlRow } from './sql-database.js';

/** Options of {@link postgresConnector}. */
export interface PostgresOptions {
  /**
   * Connection URL, `postgres://user:password@host:5432/db`. Undefined: the
   * libpq environment variables (`PGHOST`, `PGUSER`, `PGPASSWORD`, ...), which
   * keeps the password out of the config file.
   */
  readonly url: string | undefined;
  /** Ms a connection attempt or a query may take before it fails. */
  readonly timeout: number;
  /** `application_name` the server shows in `pg_stat_activity`. */
  readonly applicationName: string;
}

/** A connector opening one `pg` client per call. */
export function postgresConnector(options: PostgresOptions): SqlConnector {
  return async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      ...(options.url === undefined ? {} : { connectionString: options.url }),
      connectionTimeoutMillis: options.timeout,
      query_timeout: options.timeout,
      // The server cancels a runaway query too, not only the client giving up on it.
      statement_timeout: options.timeout,
      application_name: options.applicationName,
    });
    let lost: Error | undefined;
    client.on('error', (error) => {
      lost = error;
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    const database: SqlDatabase = {
      async query(sql) {
        if (lost !== undefined) throw lost;
        const result = await client.query(sql);
        return result.rows as SqlRow[];
      },
      async close() {
        await client.end().catch(() => undefined);
      },
    };
    return database;
  };
}

/** `url` without its password, for logs. */
export function redactUrl(url: string | undefined): string {
  if (url === undefined) return 'postgres (PG* environment)';
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}
