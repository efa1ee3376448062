/**
 * The seam between the SQL source and a database: open a connection, run
 * the source's query, close. Implemented for PostgreSQL (`sql-postgres.ts`)
 * and SQLite (`sql-sqlite.ts`); a test can pass its own.
 */

/** A row as the driver returns it: column name to value. */
export type SqlRow = Readonly<Record<string, unknown>>;

/** An open connection. */
export interface SqlDatabase {
  /** Runs `sql` (a read-only query, no parameters) and resolves with its rows. Rejects when the database cannot answer. */
  query(sql: string): Promise<readonly SqlRow[]>;
  /** Closes the connection; never rejects. */
  close(): Promise<void>;
}

/** Opens a connection; rejects when the database cannot be reached. */
export type SqlConnector = () => Promise<SqlDatabase>;
