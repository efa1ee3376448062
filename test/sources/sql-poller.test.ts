/**
 * The SQL poller over a scripted database: only changes published, outages
 * mark tiles stale once and back off, publishes the store refused are
 * retried, and a query that does not fit the configuration is an error.
 * The same behaviour on real databases: test/sources/sql-*.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalUpdate } from '../../src/mercure/hub.js';
import type { Source, SourceLogger } from '../../src/sources/source.js';
import { createSqlSource } from '../../src/sources/sql.js';
import type { SqlRow } from '../../src/sources/sql-database.js';
import { waitFor } from '../helpers/wait.js';

/** A database whose answer the test sets: rows, or an error. */
class ScriptedDatabase {
  answer: readonly SqlRow[] | Error = [];
  queries = 0;
  opens = 0;
  closes = 0;
  connect = async () => {
    this.opens++;
    if (this.answer instanceof Error) throw this.answer;
    return {
      query: async () => {
        this.queries++;
        if (this.answer instanceof Error) throw this.answer;
        return this.answer;
      },
      close: async () => {
        this.closes++;
      },
    };
  };
}

const sources: Source[] = [];
afterEach(async () => {
  for (const source of sources.splice(0)) await source.stop();
});

function start(
  db: ScriptedDatabase,
  publish: (u: LocalUpdate) => Promise<string>,
  logger?: SourceLogger,
) {
  const source = createSqlSource({
    name: 'mes',
    connect: db.connect,
    database: 'scripted',
    query: 'SELECT',
    every: 10,
    shape: { key: 'id', topic: 'https://andon.example/w/{key}', fields: undefined },
    retry: { initial: 10, max: 40 },
    ...(logger === undefined ? {} : { logger }),
  });
  sources.push(source);
  source.start(publish);
  return source;
}

const rows = (...states: string[]) => states.map((state, i) => ({ id: i + 1, state }));

describe('the SQL source', () => {
  it('marks tiles stale once per outage, reconnects, and republishes them current', async () => {
    const db = new ScriptedDatabase();
    db.answer = rows('Production', 'Downtime');
    const updates: LocalUpdate[] = [];
    const source = start(db, async (u) => {
      updates.push(u);
      return 'id';
    });
    await waitFor(() => updates.length === 2, 'the first poll');
    db.answer = new Error('connection refused');
    await waitFor(() => db.opens >= 5, 'four reconnection attempts');
    expect(updates.slice(2).map((u) => u.data)).toEqual([
      '{"id":1,"state":"Production","stale":true}',
      '{"id":2,"state":"Downtime","stale":true}',
    ]);
    expect(source.health()).toMatchObject({ ok: false });
    expect(db.closes).toBe(1);
    db.answer = rows('Production');
    await waitFor(() => updates.length === 6, 'the tiles republished, the gone one deleted');
    expect(updates.slice(4)).toEqual([
      { topics: ['https://andon.example/w/1'], data: '{"id":1,"state":"Production"}' },
      { topics: ['https://andon.example/w/2'], data: '' },
    ]);
    expect(source.health()).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^1 rows at /),
    });
  });

  it('publishes again, at the next poll, what the store refused', async () => {
    const db = new ScriptedDatabase();
    db.answer = rows('Production', 'Downtime');
    const stored: string[] = [];
    let refuse = true;
    let refusals = 0;
    start(db, async (u) => {
      if (refuse) {
        refusals++;
        throw new Error('store down');
      }
      stored.push(u.data);
      return 'id';
    });
    await waitFor(() => refusals >= 3, 'three refused publishes');
    refuse = false;
    await waitFor(() => stored.length === 2, 'both rows stored');
    const queries = db.queries;
    await waitFor(() => db.queries >= queries + 3, 'three more polls');
    expect(stored).toHaveLength(2);
  });

  it('treats a query without the key column as an error, logged once with the columns', async () => {
    const db = new ScriptedDatabase();
    db.answer = [{ workplace: 1 }];
    const lines: { level: string; message: string }[] = [];
    const log = (level: string) => (_fields: object, message: string) => {
      lines.push({ level, message });
    };
    const source = start(db, async () => 'id', {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
    });
    await waitFor(() => db.queries >= 3, 'three polls');
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines.find((l) => l.level === 'error')?.message).toMatch(
      /the query has no column id \(key\); its columns are workplace/,
    );
    expect(source.health().detail).toMatch(/no column id/);
  });
});
