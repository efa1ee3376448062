/**
 * SQLite for the SQL source, through better-sqlite3, opened read-only: a
 * source reads the MES database and never writes it. Queries are
 * synchronous in better-sqlite3; the source's query is one small SELECT per
 * poll, so the event loop is held for about as long as SQLite takes to run it.
 */
import Database from 'better-sqlite3';
import type { SqlConnector, SqlDatabase, SqlRow } from './sql-database.js';

/** Options of {@link sqliteConnector}. */
export interface SqliteOptions {
  /** The database file; it must exist. */
  readonly path: string;
  /** Ms to wait for a lock held by a writer before the query fails. */
  readonly timeout: number;
}

/** A connector opening the file read-only per call. */
export function sqliteConnector(options: SqliteOptions): SqlConnector {
  return async () => {
    const db = new Database(options.path, {
      readonly: true,
      fileMustExist: true,
      timeout: options.timeout,
    });
    const database: SqlDatabase = {
      async query(sql) {
        return db.prepare(sql).all() as SqlRow[];
      },
      async close() {
        try {
          db.close();
        } catch {
          // Closing a handle whose file went away can fail; there is nothing left to release.
        }
      },
    };
    return database;
  };
}
