/**
 * The SQL source on a real PostgreSQL server (Debian's, started on a free
 * port by the test helper) with the MES example: the shared suite; an
 * outage (the server stopped, then started again); and the source
 * configured in a config file and run by the hub.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceLogger } from '../../src/sources/source.js';
import { postgresConnector } from '../../src/sources/sql-postgres.js';
import { EventSourceClient } from '../helpers/event-source.js';
import { startHub } from '../helpers/hub.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';
import { dataOf, MES, record, runSqlSourceSuite, topicOf } from './sql-source.suite.js';

const NOW = readFileSync(new URL('../../examples/mes/now.postgres.sql', import.meta.url), 'utf8');

let server: TestPostgres;
let count = 0;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.destroy();
});

/** A fresh database with the example's schema and seed, times moved to now; with a client to change it. */
async function seeded(): Promise<{ url: string; client: pg.Client }> {
  const url = await server.createDatabase(`mes_${++count}`);
  const client = new pg.Client({ connectionString: url });
  // A client whose server goes away emits `error`; the test notices through its queries instead.
  client.on('error', () => {});
  await client.connect();
  await client.query(MES.schema);
  await client.query(MES.seed);
  await client.query(NOW);
  return { url, client };
}

const connector = (url: string) =>
  postgresConnector({ url, timeout: 2000, applicationName: 'andon test' });

runSqlSourceSuite('PostgreSQL', async () => {
  const { url, client } = await seeded();
  return {
    connect: connector(url),
    async exec(sql) {
      await client.query(sql);
    },
    close: () => client.end(),
  };
});

/** A logger keeping what it was told. */
function memoryLogger(): SourceLogger & {
  lines: { level: string; fields: object; message: string }[];
} {
  const lines: { level: string; fields: object; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('PostgreSQL stopped and started again', () => {
  it('marks the tiles stale once, backs off, resumes and clears the mark', async () => {
    const { url, client } = await seeded();
    await client.end();
    const logger = memoryLogger();
    const rec = record(connector(url), { retry: { initial: 100, max: 400 }, logger });
    try {
      await waitFor(() => rec.updates.length >= 20, 'the first poll');
      await rec.morePolls(1);
      const current = rec.updates.slice(0, 20).map((u) => u.data);

      await server.stop();
      await waitFor(() => rec.updates.length >= 40, 'the tiles to be republished stale');
      const stale = rec.updates.slice(20, 40);
      expect(stale.map((u) => u.topics[0])).toEqual(
        Array.from({ length: 20 }, (_, i) => topicOf(i + 1)),
      );
      stale.forEach((u, i) => {
        expect(dataOf(u)).toEqual({ ...JSON.parse(current[i] ?? '{}'), stale: true });
      });
      expect(rec.source.health().ok).toBe(false);
      const warned = logger.lines.find((l) => l.level === 'warn');
      expect(warned?.message).toMatch(/failed .*marking 20 tiles stale, retrying in \d+ ms/);

      // Retries go on with a doubling delay, capped; the tiles are marked once, not per retry.
      await waitFor(
        () => logger.lines.filter((l) => 'attempt' in l.fields).length >= 5,
        'five attempts to reach the stopped server',
      );
      const delays = logger.lines.flatMap((l) =>
        'retryInMs' in l.fields ? [(l.fields as { retryInMs: number }).retryInMs] : [],
      );
      expect(delays[0]).toBeGreaterThanOrEqual(80);
      expect(delays[0]).toBeLessThanOrEqual(100);
      expect(delays[2]).toBeGreaterThanOrEqual(320);
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(400);
      expect(rec.updates).toHaveLength(40);
      expect(rec.source.health().detail).toMatch(/unreachable since .* attempts/);

      await server.start();
      await waitFor(() => rec.updates.length >= 60, 'the tiles to be republished current', 10_000);
      expect(rec.updates.slice(40, 60).map((u) => u.data)).toEqual(current);
      expect(rec.source.health().ok).toBe(true);
      expect(logger.lines.some((l) => l.level === 'info' && /answers again/.test(l.message))).toBe(
        true,
      );
      await rec.morePolls(2);
      expect(rec.updates).toHaveLength(60);
    } finally {
      await rec.source.stop();
    }
  });
});

describe('a PostgreSQL source in the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'andon-pg-source-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('feeds the hub: subscribers get every workplace, /healthz shows the source', async () => {
    const { url, client } = await seeded();
    await client.end();
    const config = join(dir, 'andon.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        '  mes:',
        '    kind: postgres',
        `    url: ${url}`,
        `    queryFile: ${JSON.stringify(new URL('../../examples/mes/query.sql', import.meta.url).pathname)}`,
        '    every: 100ms',
        '    key: workplace_id',
        "    topic: 'https://andon.example/workplaces/{key}'",
      ].join('\n'),
    );
    const hub = await startHub(['--config', config, '--anonymous']);
    const subscriber = new EventSourceClient(
      // From the earliest event: the source may publish before this subscriber is in.
      `${hub.hubUrl}?topic=${encodeURIComponent('https://andon.example/workplaces/{id}')}&lastEventID=earliest`,
    );
    try {
      await subscriber.waitForEvents(20);
      expect(JSON.parse(subscriber.events[1]?.data ?? '{}')).toMatchObject({
        name: 'CNC 2',
        state: 'Downtime',
        reason: 'Tool change',
      });
      const health = (await (await fetch(`${hub.base}/healthz`)).json()) as {
        sources: Record<string, { ok: boolean; detail: string }>;
      };
      expect(health.sources.mes).toMatchObject({ ok: true });
    } finally {
      subscriber.close();
      await hub.close();
    }
  });
});
