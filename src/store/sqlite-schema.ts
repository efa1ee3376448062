/**
 * The SQLite store's schema: its versions, the migrations between them, and
 * the checks that refuse a file that is not ours (a foreign database, or one
 * written by a newer Andon) with a message saying what was found.
 */
import type Database from 'better-sqlite3';
import { AndonError } from '../errors.js';

/** The schema this build writes. `PRAGMA user_version` holds it. */
export const SCHEMA_VERSION = 2;

/** Marks a database as an Andon store (`andon_meta.format`). */
export const STORE_FORMAT = 'andon-events';

/**
 * Migrations: entry `n - 1` brings a database from version `n - 1` to `n`.
 * Version 1 kept events only; version 2 adds retained state (the latest
 * event of each topic), filled from the history a version 1 file holds.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE andon_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   INSERT INTO andon_meta (key, value) VALUES ('format', '${STORE_FORMAT}');
   CREATE TABLE events (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL,
     type TEXT,
     data TEXT NOT NULL,
     retry INTEGER,
     topics TEXT NOT NULL,
     private INTEGER NOT NULL DEFAULT 0,
     key TEXT,
     time INTEGER NOT NULL
   );
   CREATE INDEX events_id ON events (id);
   CREATE INDEX events_time ON events (time);`,
  `CREATE TABLE retained (
     topic TEXT PRIMARY KEY,
     position INTEGER NOT NULL,
     id TEXT NOT NULL,
     type TEXT,
     data TEXT NOT NULL,
     retry INTEGER,
     topics TEXT NOT NULL,
     private INTEGER NOT NULL DEFAULT 0,
     key TEXT,
     time INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX retained_position ON retained (position);
   INSERT INTO retained (topic, position, id, type, data, retry, topics, private, key, time)
     SELECT coalesce(json_extract(topics, '$[0]'), ''), position, id, type, data, retry, topics, private, key, time
     FROM events WHERE position IN (
       SELECT max(position) FROM events GROUP BY coalesce(json_extract(topics, '$[0]'), '')
     );`,
];

function refuse(path: string, found: string): AndonError {
  return new AndonError(
    'ANDON_INVALID_SETTING',
    `--store sqlite:${path}: ${found}; refusing to use it. Give a new path, or the file of an Andon store.`,
  );
}

/**
 * Brings the database at `path` to {@link SCHEMA_VERSION}: creates it when
 * empty, migrates an older Andon store, refuses anything else.
 */
export function prepareSchema(db: Database.Database, path: string): void {
  let version: number;
  let tables: string[];
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (
      db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as {
        name: string;
      }[]
    ).map((row) => row.name);
  } catch (error) {
    throw refuse(path, `it is not a SQLite database (${(error as Error).message})`);
  }
  if (version === 0 && tables.length > 0) {
    throw refuse(
      path,
      `it is a SQLite database of something else (tables: ${tables.slice(0, 8).join(', ')})`,
    );
  }
  if (version > 0) {
    const format = tables.includes('andon_meta')
      ? (db.prepare("SELECT value FROM andon_meta WHERE key = 'format'").get() as
          | { value: string }
          | undefined)
      : undefined;
    if (format?.value !== STORE_FORMAT) {
      throw refuse(
        path,
        `it has schema version ${version} but is not an Andon store (tables: ${tables.join(', ')})`,
      );
    }
  }
  if (version > SCHEMA_VERSION) {
    throw refuse(
      path,
      `it was written by a newer Andon (schema version ${version}; this build knows up to ${SCHEMA_VERSION})`,
    );
  }
  for (let next = version + 1; next <= SCHEMA_VERSION; next++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[next - 1]!);
      db.pragma(`user_version = ${next}`);
    })();
  }
}

/** Creates a database at `version` (an old one, for migration tests). */
export function createSchemaAt(db: Database.Database, version: number): void {
  for (let next = 1; next <= version; next++) {
    db.exec(MIGRATIONS[next - 1]!);
    db.pragma(`user_version = ${next}`);
  }
}
