/**
 * From query rows to tile updates, without I/O: each row becomes the JSON
 * data of its key's topic (columns become fields, dates ISO 8601 strings),
 * and two snapshots give the updates to publish (changed rows, removed rows).
 */
import type { SqlRow } from './sql-database.js';

/** The data of one row: what its topic is published with. */
export interface RowTile {
  /** The key column's value, as text. */
  readonly key: string;
  /** The topic, from the source's template. */
  readonly topic: string;
  /** The JSON data published: an object of the row's fields. */
  readonly data: string;
}

/** A poll's result: tiles by key, in the query's row order. */
export type Snapshot = ReadonlyMap<string, RowTile>;

/** What a row's shape is expected to be. */
export interface RowShape {
  /** Column whose value keys the rows (and names the topic). */
  readonly key: string;
  /** Topic template; `{key}` is replaced by the key, URI-encoded. */
  readonly topic: string;
  /** Field name to column; undefined publishes every column under its own name. */
  readonly fields: Readonly<Record<string, string>> | undefined;
}

/** A query result that does not fit the source's configuration; the message says how. */
export class RowShapeError extends Error {
  override readonly name = 'RowShapeError';
}

/** A column value as JSON: dates as ISO strings, big integers as numbers when exact (else text), bytes as base64. */
export function jsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v);
    return out;
  }
  return value;
}

/**
 * The snapshot of `rows`. Rows whose key is null are left out and counted;
 * a later row with the same key replaces an earlier one and is counted too,
 * so the source can log both. Throws {@link RowShapeError} when a column the
 * configuration names is missing.
 */
export function snapshotOf(
  rows: readonly SqlRow[],
  shape: RowShape,
): { snapshot: Snapshot; nullKeys: number; duplicates: number } {
  const snapshot = new Map<string, RowTile>();
  let nullKeys = 0;
  let duplicates = 0;
  const first = rows[0];
  if (first !== undefined) checkColumns(first, shape);
  for (const row of rows) {
    const keyValue = jsonValue(row[shape.key]);
    if (keyValue === null) {
      nullKeys++;
      continue;
    }
    const key = typeof keyValue === 'string' ? keyValue : JSON.stringify(keyValue);
    const fields: Record<string, unknown> = {};
    if (shape.fields === undefined) {
      for (const [column, value] of Object.entries(row)) fields[column] = jsonValue(value);
    } else {
      for (const [field, column] of Object.entries(shape.fields))
        fields[field] = jsonValue(row[column]);
    }
    if (snapshot.delete(key)) duplicates++;
    snapshot.set(key, {
      key,
      topic: shape.topic.replaceAll('{key}', encodeURIComponent(key)),
      data: JSON.stringify(fields),
    });
  }
  return { snapshot, nullKeys, duplicates };
}

function checkColumns(row: SqlRow, shape: RowShape): void {
  const columns = Object.keys(row);
  const missing = (column: string) => !Object.hasOwn(row, column);
  const list = columns.join(', ');
  if (missing(shape.key)) {
    throw new RowShapeError(`the query has no column ${shape.key} (key); its columns are ${list}`);
  }
  for (const [field, column] of Object.entries(shape.fields ?? {})) {
    if (missing(column)) {
      throw new RowShapeError(
        `the query has no column ${column} (fields.${field}); its columns are ${list}`,
      );
    }
  }
}

/** One update to publish: data, or `''` to delete the tile. */
export interface TileChange {
  readonly key: string;
  readonly topic: string;
  readonly data: string;
}

/**
 * What to publish to go from `before` (what the hub holds) to `after` (the
 * query's rows): rows that are new or changed, in `after`'s order, then
 * deletes for rows gone. A tile published stale differs from its row, so
 * after an outage every tile marked stale is republished.
 */
export function changesBetween(before: Snapshot, after: Snapshot): TileChange[] {
  const changes: TileChange[] = [];
  for (const tile of after.values()) {
    if (before.get(tile.key)?.data !== tile.data) changes.push(tile);
  }
  for (const tile of before.values()) {
    if (!after.has(tile.key)) changes.push({ key: tile.key, topic: tile.topic, data: '' });
  }
  return changes;
}

/** `data` (a JSON object) with `"stale": true` added: what a tile is republished with when its source lost its database. */
export function staleData(data: string): string {
  const fields = JSON.parse(data) as Record<string, unknown>;
  return JSON.stringify({ ...fields, stale: true });
}
