/**
 * The SQL source on SQLite (better-sqlite3) with the MES example: the shared
 * suite, plus the source configured in a config file and run by the hub.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteConnector } from '../../src/sources/sql-sqlite.js';
import { EventSourceClient } from '../helpers/event-source.js';
import { startHub } from '../helpers/hub.js';
import { MES, runSqlSourceSuite } from './sql-source.suite.js';

const dir = mkdtempSync(join(tmpdir(), 'andon-sqlite-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

/** A fresh SQLite file with the example's schema and seed, times moved to now. */
function seededFile(): string {
  const path = join(dir, `mes-${++count}.db`);
  const db = new Database(path);
  db.exec(MES.schema);
  db.exec(MES.seed);
  db.exec(readFileSync(new URL('../../examples/mes/now.sqlite.sql', import.meta.url), 'utf8'));
  db.close();
  return path;
}

runSqlSourceSuite('SQLite', async () => {
  const path = seededFile();
  const writer = new Database(path);
  return {
    connect: sqliteConnector({ path, timeout: 2000 }),
    async exec(sql) {
      writer.exec(sql);
    },
    async close() {
      writer.close();
    },
  };
});

describe('a SQLite source in the config file', () => {
  it('feeds the hub: subscribers get every workplace, /healthz shows the source', async () => {
    const path = seededFile();
    const config = join(dir, 'andon.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        '  mes:',
        '    kind: sqlite',
        `    path: ${JSON.stringify(path)}`,
        `    queryFile: ${JSON.stringify(new URL('../../examples/mes/query.sql', import.meta.url).pathname)}`,
        '    every: 100ms',
        '    key: workplace_id',
        "    topic: 'https://andon.example/workplaces/{key}'",
      ].join('\n'),
    );
    const hub = await startHub(['--config', config, '--anonymous']);
    const client = new EventSourceClient(
      // From the earliest event: the source may publish before this subscriber is in.
      `${hub.hubUrl}?topic=${encodeURIComponent('https://andon.example/workplaces/{id}')}&lastEventID=earliest`,
    );
    try {
      await client.waitForEvents(20);
      expect(JSON.parse(client.events[0]?.data ?? '{}')).toMatchObject({
        name: 'CNC 1',
        state: 'Production',
      });
      const health = (await (await fetch(`${hub.base}/healthz`)).json()) as {
        sources: Record<string, { ok: boolean; detail: string }>;
      };
      expect(health.sources.mes?.ok).toBe(true);
    } finally {
      client.close();
      await hub.close();
    }
  });
});
