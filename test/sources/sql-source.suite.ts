/**
 * The SQL source against a real database holding the MES example
 * (examples/mes: schema, seed, query): one suite, run by each database's
 * test file with a factory for a fresh, seeded database per test.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalUpdate } from '../../src/mercure/hub.js';
import type { Source } from '../../src/sources/source.js';
import { createSqlSource } from '../../src/sources/sql.js';
import type { SqlConnector } from '../../src/sources/sql-database.js';
import { waitFor } from '../helpers/wait.js';

/** The example's files. */
export const MES = {
  schema: readFileSync(new URL('../../examples/mes/schema.sql', import.meta.url), 'utf8'),
  seed: readFileSync(new URL('../../examples/mes/seed.sql', import.meta.url), 'utf8'),
  query: readFileSync(new URL('../../examples/mes/query.sql', import.meta.url), 'utf8'),
} as const;

/** Topics of the example's tiles. */
export const TOPIC = 'https://andon.example/workplaces/{key}';

/** A seeded MES database for one test. */
export interface MesDatabase {
  /** Opens a connection the way the source does. */
  readonly connect: SqlConnector;
  /** Runs statements (changes made by "the MES"). */
  exec(sql: string): Promise<void>;
  /** Releases it. */
  close(): Promise<void>;
}

/** A started source that records what it publishes and counts its queries. */
export interface Recording {
  readonly source: Source;
  readonly updates: LocalUpdate[];
  /** Queries started so far. When query n starts, every publish of polls before it is done. */
  queries(): number;
  /** Resolves once `count` more queries have started than when called. */
  morePolls(count: number): Promise<void>;
}

/** Starts a SQL source over `connect` polling every 100 ms with the example's query and key. */
export function record(
  connect: SqlConnector,
  options: {
    retry?: { initial: number; max: number };
    logger?: Parameters<typeof createSqlSource>[0]['logger'];
  } = {},
): Recording {
  let queries = 0;
  const counting: SqlConnector = async () => {
    const db = await connect();
    return {
      query(sql) {
        queries++;
        return db.query(sql);
      },
      close: () => db.close(),
    };
  };
  const updates: LocalUpdate[] = [];
  const source = createSqlSource({
    name: 'mes',
    connect: counting,
    database: 'test database',
    query: MES.query,
    every: 100,
    shape: { key: 'workplace_id', topic: TOPIC, fields: undefined },
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  source.start(async (update) => {
    updates.push(update);
    return `urn:test:${updates.length}`;
  });
  return {
    source,
    updates,
    queries: () => queries,
    async morePolls(count) {
      const target = queries + count;
      await waitFor(() => queries >= target, `${count} more polls`);
    },
  };
}

/** The topic of workplace `id`. */
export const topicOf = (id: number) => TOPIC.replace('{key}', String(id));

/** The data of an update as an object. */
export const dataOf = (update: LocalUpdate | undefined): Record<string, unknown> =>
  update === undefined || update.data === ''
    ? {}
    : (JSON.parse(update.data) as Record<string, unknown>);

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;

/** Runs the suite; `create` makes a fresh database with the example's schema and seed. */
export function runSqlSourceSuite(kind: string, create: () => Promise<MesDatabase>): void {
  describe(`SQL source on ${kind} with the MES example`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    const started = async (): Promise<{ db: MesDatabase; rec: Recording }> => {
      const db = await create();
      cleanups.push(() => db.close());
      const rec = record(db.connect);
      cleanups.push(() => rec.source.stop());
      await waitFor(() => rec.updates.length >= 20, 'the first poll to publish 20 workplaces');
      // The second query starts after the first poll's publishes: all of them are in.
      await rec.morePolls(1);
      return { db, rec };
    };

    it('publishes every workplace on the first poll, columns as fields, times as ISO strings', async () => {
      const { rec } = await started();
      expect(rec.updates).toHaveLength(20);
      expect(rec.updates.map((u) => u.topics[0])).toEqual(
        Array.from({ length: 20 }, (_, i) => topicOf(i + 1)),
      );
      const cnc2 = dataOf(rec.updates[1]);
      expect(cnc2).toMatchObject({
        workplace_id: 2,
        name: 'CNC 2',
        state: 'Downtime',
        color: '#E6AD3C',
        operator: 'Petr Svoboda',
        order: 'ZK-122',
        reason: 'Tool change',
      });
      expect(cnc2.since).toMatch(ISO);
      expect(dataOf(rec.updates[4])).toMatchObject({
        name: 'CNC 5',
        state: 'Poweroff',
        operator: null,
        order: null,
      });
      const states = rec.updates.map((u) => dataOf(u).state);
      expect(states.filter((s) => s === 'Production')).toHaveLength(12);
      expect(states.filter((s) => s === 'Downtime')).toHaveLength(5);
      expect(states.filter((s) => s === 'Poweroff')).toHaveLength(3);
      for (const update of rec.updates) expect(dataOf(update)).not.toHaveProperty('stale');
    });

    it('publishes nothing while nothing changes', async () => {
      const { rec } = await started();
      await rec.morePolls(3);
      expect(rec.updates).toHaveLength(20);
    });

    it('publishes exactly one update when one workplace changes state', async () => {
      const { db, rec } = await started();
      // What the MES does when CNC 1 stops for a tool change: close the open records, open new ones.
      await db.exec(`
        UPDATE state_records SET date_time_end = '2030-01-01T10:00:00Z' WHERE workplace_id = 1 AND date_time_end IS NULL;
        INSERT INTO state_records (id, workplace_id, state_id, date_time_start, date_time_end)
          VALUES (1000, 1, 2, '2030-01-01T10:00:00Z', NULL);
        INSERT INTO downtime_records (id, workplace_id, downtime_id, date_time_start, date_time_end)
          VALUES (1000, 1, 1, '2030-01-01T10:00:00Z', NULL);
      `);
      await waitFor(() => rec.updates.length > 20, 'the change to be published');
      await rec.morePolls(2);
      expect(rec.updates).toHaveLength(21);
      const update = rec.updates[20];
      expect(update?.topics).toEqual([topicOf(1)]);
      expect(dataOf(update)).toMatchObject({
        name: 'CNC 1',
        state: 'Downtime',
        reason: 'Tool change',
        operator: 'Jan Novák',
      });
      expect(new Date(String(dataOf(update).since)).toISOString()).toBe('2030-01-01T10:00:00.000Z');
    });

    it('publishes a delete (empty data) for a workplace gone, and a new tile for one added', async () => {
      const { db, rec } = await started();
      await db.exec('DELETE FROM workplaces WHERE id = 20');
      await waitFor(() => rec.updates.length > 20, 'the delete to be published');
      await rec.morePolls(2);
      expect(rec.updates.slice(20)).toEqual([{ topics: [topicOf(20)], data: '' }]);

      await db.exec(`
        INSERT INTO workplaces (id, name, code) VALUES (21, 'Saw 1', 'saw-1');
        INSERT INTO state_records (id, workplace_id, state_id, date_time_start, date_time_end)
          VALUES (1001, 21, 3, '2030-01-01T10:00:00Z', NULL);
      `);
      await waitFor(() => rec.updates.length > 21, 'the new workplace to be published');
      await rec.morePolls(2);
      expect(rec.updates).toHaveLength(22);
      expect(rec.updates[21]?.topics).toEqual([topicOf(21)]);
      expect(dataOf(rec.updates[21])).toMatchObject({ name: 'Saw 1', state: 'Poweroff' });
    });
  });
}
