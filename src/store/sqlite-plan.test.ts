/**
 * Query plans of the SQLite store's replay statements: resolving a
 * Last-Event-ID and reading after a position must be index or primary-key
 * searches, O(log n), never a scan of the events table. Deterministic: it
 * reads SQLite's plan, not a clock (bench/scenarios/store-replay.ts times them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore, READ_AFTER_SQL, READ_RANGE_SQL, RESOLVE_ID_SQL } from './sqlite.js';

const PLANS = [
  {
    name: 'resolving an id',
    sql: RESOLVE_ID_SQL,
    params: ['id-50'],
    plan: /^SEARCH events USING (?:COVERING )?INDEX events_id \(id=\?\)$/,
  },
  {
    name: 'reading after a position',
    sql: READ_AFTER_SQL,
    params: [50],
    plan: /^SEARCH events USING INTEGER PRIMARY KEY \(rowid>\?\)$/,
  },
  {
    name: 'reading between two positions',
    sql: READ_RANGE_SQL,
    params: [10, 50],
    plan: /^SEARCH events USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)$/,
  },
] as const;

describe('SQLite store query plans', () => {
  const dir = mkdtempSync(join(tmpdir(), 'andon-sqlite-plan-'));
  const path = join(dir, 'plan.db');
  let db: Database.Database;

  beforeAll(async () => {
    const store = createSqliteStore({ path });
    await store.append(
      Array.from({ length: 100 }, (_, i) => ({ id: `id-${i}`, data: `${i}`, topics: ['t'] })),
    );
    await store.close();
    db = new Database(path, { readonly: true });
  });

  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(PLANS)('$name is an index search, never a scan', ({ sql, params, plan }) => {
    const steps = (
      db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
    ).map((step) => step.detail);
    for (const step of steps) expect(step).not.toMatch(/^SCAN\b/);
    // One step, and no "USE TEMP B-TREE FOR ORDER BY": the order comes from the index.
    expect(steps).toEqual([expect.stringMatching(plan)]);
  });
});
