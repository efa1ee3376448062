import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../engine/event.js';
import { isAndonError } from '../errors.js';
import { createSqliteStore } from './sqlite.js';
import { createSchemaAt, SCHEMA_VERSION } from './sqlite-schema.js';
import type { Store } from './store.js';
import { readAfter, runStoreSuite } from './store.suite.js';

const dir = mkdtempSync(join(tmpdir(), 'andon-sqlite-'));
let serial = 0;
const freshPath = () => join(dir, `store-${++serial}.db`);

runStoreSuite('sqlite', (retention) =>
  createSqliteStore({ path: freshPath(), ...(retention === undefined ? {} : { retention }) }),
);

const opened: Store[] = [];
function open(path: string, options: Partial<Parameters<typeof createSqliteStore>[0]> = {}) {
  const store = createSqliteStore({ path, ...options });
  opened.push(store);
  return store;
}
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
});

const draft = (id: string, topic = 't') => ({ id, data: `data of ${id}`, topics: [topic] });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isAndonError(error, 'ANDON_INVALID_SETTING')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('SQLite store', () => {
  it('decodes a replayed row once: readers of the same rows share the event and its bytes', async () => {
    const store = open(freshPath());
    await store.append([draft('a'), draft('b'), draft('c')]);
    const first = await readAfter(store, 0, 10);
    const second = await readAfter(store, 0, 10);
    expect(second.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    for (const [i, event] of second.entries()) {
      expect(event).toBe(first[i]);
      expect(event.bytes.toString()).toBe(`id: ${event.id}\ndata: data of ${event.id}\n\n`);
    }
  });

  it('keeps events, ids and retained state across reopening, and positions keep increasing', async () => {
    const path = freshPath();
    const first = open(path);
    const stored = await first.append([draft('a', 'x'), draft('b', 'y'), draft('c', 'x')]);
    await first.close();
    const again = open(path);
    expect((await readAfter(again, 0, 10)).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(await again.resolve('b')).toBe(stored[1]!.position);
    expect(await again.head()).toEqual({ position: stored[2]!.position, id: 'c' });
    expect((await again.latest()).events.map((e) => e.id)).toEqual(['b', 'c']);
    const [next] = await again.append([draft('d')]);
    expect(next!.position).toBeGreaterThan(stored[2]!.position);
  });

  it('commits the appends of one tick together, each resolved with its own events', async () => {
    const store = open(freshPath());
    const batches: (readonly StoredEvent[])[] = [];
    store.watch((events) => batches.push(events));
    const results = await Promise.all([
      store.append([draft('1')]),
      store.append([draft('2'), draft('3')]),
      store.append([draft('4')]),
    ]);
    expect(results.map((r) => r.map((e) => e.id))).toEqual([['1'], ['2', '3'], ['4']]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => e.id)).toEqual(['1', '2', '3', '4']);
  });

  it('commits each append alone when group commit is off', async () => {
    const store = open(freshPath(), { groupCommit: false });
    const batches: (readonly StoredEvent[])[] = [];
    store.watch((events) => batches.push(events));
    await Promise.all([store.append([draft('1')]), store.append([draft('2')])]);
    expect(batches.map((b) => b.map((e) => e.id))).toEqual([['1'], ['2']]);
  });

  it.each(['commit', 'batch', 'none'] as const)('works with durability %s', async (durability) => {
    const path = freshPath();
    const store = open(path, { durability });
    await store.append([draft('x')]);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT id FROM events').all()).toEqual([{ id: 'x' }]);
    db.close();
  });

  it("feeds each process the other's events, in position order", async () => {
    const path = freshPath();
    const a = open(path, { pollIntervalMs: 5 });
    const b = open(path, { pollIntervalMs: 5 });
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    a.watch((events) => seenByA.push(...events.map((e) => e.id)));
    b.watch((events) => seenByB.push(...events.map((e) => e.id)));
    await a.append([draft('a1')]);
    await b.append([draft('b1')]);
    await a.append([draft('a2')]);
    await expect.poll(() => seenByA.length).toBe(3);
    await expect.poll(() => seenByB.length).toBe(3);
    expect(seenByA).toEqual(['a1', 'b1', 'a2']);
    expect(seenByB).toEqual(['a1', 'b1', 'a2']);
  });

  it('refuses publishes with ANDON_STORE_UNAVAILABLE when full, and keeps reading', async () => {
    const store = open(freshPath(), { maxSizeBytes: 64 * 1024 });
    await store.append([draft('first')]);
    let error: unknown;
    try {
      for (let i = 0; i < 200; i++)
        await store.append([{ id: `big${i}`, data: 'x'.repeat(4000), topics: [`t${i}`] }]);
    } catch (caught) {
      error = caught;
    }
    expect(isAndonError(error, 'ANDON_STORE_UNAVAILABLE')).toBe(true);
    expect(String((error as Error).message)).toMatch(/SQLITE_FULL/);
    expect(await store.resolve('first')).toBeGreaterThan(0);
    expect((await readAfter(store, 0, 1))[0]!.id).toBe('first');
  });

  describe('schema', () => {
    it('migrates a version 1 file, filling retained state from its history', async () => {
      const path = freshPath();
      const old = new Database(path);
      createSchemaAt(old, 1);
      const insert = old.prepare(
        'INSERT INTO events (id, type, data, retry, topics, private, key, time) VALUES (?, NULL, ?, NULL, ?, 0, NULL, ?)',
      );
      insert.run('e1', 'one', '["a"]', 1);
      insert.run('e2', 'two', '["b"]', 2);
      insert.run('e3', 'three', '["a"]', 3);
      old.close();
      const store = open(path);
      expect((await store.latest()).events.map((e) => e.id)).toEqual(['e2', 'e3']);
      expect(await store.resolve('e1')).toBe(1);
      const check = new Database(path, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      check.close();
    });

    it('refuses a database written by a newer Andon', () => {
      const path = freshPath();
      const db = new Database(path);
      createSchemaAt(db, SCHEMA_VERSION);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      expect(refusal(() => open(path))).toMatch(
        new RegExp(
          `written by a newer Andon \\(schema version ${SCHEMA_VERSION + 1}; this build knows up to ${SCHEMA_VERSION}\\)`,
        ),
      );
    });

    it('refuses a foreign SQLite database, naming its tables', () => {
      const path = freshPath();
      const db = new Database(path);
      db.exec('CREATE TABLE invoices (n INTEGER); CREATE TABLE customers (name TEXT);');
      db.close();
      expect(refusal(() => open(path))).toMatch(
        /a SQLite database of something else \(tables: invoices, customers\)/,
      );
    });

    it('refuses a file that is not a database at all', () => {
      const path = freshPath();
      writeFileSync(path, 'hello, I am a text file, not a database; '.repeat(200));
      expect(refusal(() => open(path))).toMatch(/not a SQLite database|cannot open/);
    });
  });
});
