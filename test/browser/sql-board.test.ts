/**
 * The MES example end to end in Chromium at 1920x1080: the example's
 * database in a real PostgreSQL (schema, seed, times moved to now), a hub
 * running the example's SQL source and board `hall`, and the board page.
 * The board shows one tile per workplace in the state and colour the
 * database gives it, with the overview adding up (screenshot
 * test-artifacts/board-sql.png); a change in the MES reaches the tile live;
 * stopping PostgreSQL marks every tile stale while the hub itself stays live
 * (screenshot board-sql-stale.png), and starting it again clears the marks.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/andon-process.js';
import { launchBrowser } from '../helpers/browser.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

// The page functions below run in Chromium; this file is type-checked without
// the DOM library, so the little they touch is declared here.
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
};
declare function getComputedStyle(element: PageElement): { backgroundColor: string };

const EXAMPLE = join(REPO_ROOT, 'examples/mes');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const VIEWPORT = { width: 1920, height: 1080 };
const sql = (file: string) => readFileSync(join(EXAMPLE, file), 'utf8');
/** The seed's hall: 20 workplaces. */
const WORKPLACES = 20;
/** A poll every 200 ms: changes and recoveries show within a second or two. */
const EVERY = '200ms';
/** Room for the source's poll, the hub and the page; failing past it names what never came. */
const LIVE_MS = 10_000;

/**
 * The example's config (examples/mes/andon.yaml): its board `hall` as is, its
 * source `mes` pointed at the test cluster, polling every {@link EVERY}, with
 * the query file by absolute path (the test config is written elsewhere). The
 * example's port, key and SQLite store give way to the test hub's.
 */
function exampleConfig(url: string): Record<string, unknown> {
  const example = parse(sql('andon.yaml')) as {
    anonymous: boolean;
    sources: { mes: Record<string, unknown> };
    boards: { hall: unknown };
  };
  return {
    anonymous: example.anonymous,
    sources: {
      mes: { ...example.sources.mes, url, every: EVERY, queryFile: join(EXAMPLE, 'query.sql') },
    },
    boards: example.boards,
  };
}

/** `#89AB0F` as the browser computes it: `rgb(137, 171, 15)`. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

const topic = (id: number) => `https://andon.example/workplaces/${id}`;

/** A workplace as the MES holds it: its current (open) state record and that state's colour. */
interface Workplace {
  readonly topic: string;
  readonly id: number;
  readonly name: string;
  readonly state: string;
  readonly color: string;
}

/**
 * Every workplace and its current state, read from the tables directly
 * rather than through the example's query, so a wrong query would show.
 */
async function workplaces(db: pg.Client): Promise<Workplace[]> {
  const { rows } = await db.query<{ id: number; name: string; state: string; color: string }>(
    `SELECT w.id, w.name, s.name AS state, s.color
       FROM workplaces w
       JOIN state_records r ON r.workplace_id = w.id AND r.date_time_end IS NULL
       JOIN states s ON s.id = r.state_id
      ORDER BY w.id`,
  );
  return rows.map((row) => ({ ...row, topic: topic(row.id) }));
}

/** What the board shows, read in one go. */
interface Shown {
  readonly tiles: { key: string; state: string; title: string; color: string; stale: boolean }[];
  readonly shares: { state: string; count: number; percent: number }[];
  readonly total: number;
  /** The whole board is stale (no heartbeat from the hub), as opposed to tiles. */
  readonly boardStale: boolean;
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const tiles = Array.from(document.querySelectorAll('[data-tile]')).map((el) => ({
      key: el.getAttribute('data-tile') ?? '',
      state: el.getAttribute('data-state') ?? '',
      title: el.querySelector('.tile-title')?.textContent ?? '',
      color: getComputedStyle(el).backgroundColor,
      stale: el.hasAttribute('data-stale'),
    }));
    const shares = Array.from(document.querySelectorAll('.share')).map((el) => ({
      state: el.dataset.state ?? '',
      count: Number(el.dataset.count),
      percent: Number(el.dataset.percent),
    }));
    const total = Number(document.querySelector('.overview-count')?.dataset.total);
    const boardStale = document.querySelector('[data-board]')?.hasAttribute('data-stale') ?? true;
    return { tiles, shares, total, boardStale };
  });
}

/**
 * The board shows exactly the MES: one tile per workplace with its name, state
 * and that state's colour from the `states` table, and an overview whose
 * shares count the workplaces per state and add up to 100%.
 */
function expectMatches(view: Shown, mes: readonly Workplace[]): void {
  expect(view.tiles).toHaveLength(mes.length);
  expect(view.total).toBe(mes.length);
  const byTopic = new Map(view.tiles.map((t) => [t.key, t]));
  for (const workplace of mes) {
    const tile = byTopic.get(workplace.topic);
    expect(tile, `a tile for ${workplace.name}`).toBeDefined();
    expect(tile, workplace.name).toMatchObject({
      title: workplace.name,
      state: workplace.state,
      color: rgb(workplace.color),
    });
  }
  expect(view.shares.reduce((sum, s) => sum + s.percent, 0)).toBe(100);
  for (const share of view.shares) {
    const count = mes.filter((w) => w.state === share.state).length;
    expect(share.count, `workplaces in ${share.state}`).toBe(count);
    // Whole percents by largest remainder: each within one point of the exact share.
    expect(Math.abs(share.percent - (count * 100) / mes.length)).toBeLessThan(1);
  }
}

let server: TestPostgres;
let url: string;
/** "The MES": a connection changing and reading the database, reopened after an outage. */
let db: pg.Client;
let hub: TestHub;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // Its server is stopped on purpose below; the test notices through its queries instead.
  client.on('error', () => {});
  await client.connect();
  return client;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startPostgres(), launchBrowser()]);
  url = await server.createDatabase('mes');
  db = await connect();
  await db.query(sql('schema.sql'));
  await db.query(sql('seed.sql'));
  await db.query(sql('now.postgres.sql'));
  hub = await startHub([], { config: exampleConfig(url) });
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-GB' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${hub.base}/boards/hall`);
  await page.waitForSelector('[data-board="hall"][data-connection="open"]', { timeout: LIVE_MS });
});

afterAll(async () => {
  // Each step on its own: one failing must not leave the others running.
  await browser?.close().catch(() => undefined);
  await hub?.close().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await server?.destroy();
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

describe('the MES example board, fed by PostgreSQL', () => {
  test('shows every workplace in the state and colour the database gives it', async () => {
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-tile]').length === n,
      WORKPLACES,
      { timeout: LIVE_MS },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'board-sql.png') });

    const mes = await workplaces(db);
    const { rows: counted } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM workplaces',
    );
    // Every workplace has a current state, so the tiles are all the workplaces.
    expect(mes).toHaveLength(counted[0]!.n);
    expect(mes).toHaveLength(WORKPLACES);
    const view = await shown(page);
    expectMatches(view, mes);
    expect(view.tiles.some((t) => t.stale)).toBe(false);
    expect(view.boardStale).toBe(false);
    // The example's board and its `states` table agree on every colour.
    const { rows } = await db.query<{ name: string; color: string }>(
      'SELECT name, color FROM states',
    );
    const board = (exampleConfig(url).boards as { hall: { states: Record<string, unknown> } }).hall;
    for (const state of rows) {
      expect(board.states[state.name], state.name).toMatchObject({ color: state.color });
    }
  });

  test('follows a change in the MES live: the tile takes its new state and colour', async () => {
    const before = await workplaces(db);
    const producing = before.find((w) => w.state === 'Production')!;
    const downtime = before.find((w) => w.state === 'Downtime')!;
    // What a terminal at the machine writes when it stops for a tool change.
    await db.query('BEGIN');
    await db.query(
      'UPDATE state_records SET date_time_end = now() WHERE workplace_id = $1 AND date_time_end IS NULL',
      [producing.id],
    );
    await db.query(
      `INSERT INTO state_records (id, workplace_id, state_id, date_time_start)
       SELECT max(id) + 1, $1, (SELECT id FROM states WHERE name = 'Downtime'), now() FROM state_records`,
      [producing.id],
    );
    await db.query(
      `INSERT INTO downtime_records (id, workplace_id, downtime_id, date_time_start)
       SELECT max(id) + 1, $1, (SELECT id FROM downtimes WHERE name = 'Tool change'), now() FROM downtime_records`,
      [producing.id],
    );
    await db.query('COMMIT');
    const changedAt = Date.now();

    await page.waitForSelector(`[data-tile="${producing.topic}"][data-state="Downtime"]`, {
      timeout: LIVE_MS,
    });
    console.log(
      `MES change on the board ${Date.now() - changedAt} ms after COMMIT (every ${EVERY})`,
    );
    const after = await workplaces(db);
    expect(after.find((w) => w.id === producing.id)?.state).toBe('Downtime');
    const view = await shown(page);
    expect(view.tiles.find((t) => t.key === producing.topic)?.color).toBe(rgb(downtime.color));
    expect(
      await page.evaluate(
        (key) => document.querySelector(`[data-tile="${key}"] .tile-lines`)?.textContent ?? '',
        producing.topic,
      ),
    ).toContain('Tool change');
    expectMatches(view, after);
  });

  test('marks every tile stale while PostgreSQL is down, and clears the marks when it is back', async () => {
    const mes = await workplaces(db);
    const stoppedAt = Date.now();
    await server.stop();
    await page.waitForFunction(
      (n) =>
        Array.from(document.querySelectorAll('[data-tile]')).filter((el) =>
          el.hasAttribute('data-stale'),
        ).length === n,
      WORKPLACES,
      { timeout: LIVE_MS },
    );
    console.log(`all tiles stale ${Date.now() - stoppedAt} ms after pg_ctl stop began`);
    await page.screenshot({ path: join(ARTIFACTS, 'board-sql-stale.png') });
    const stale = await shown(page);
    // The last data stays, hatched but in its colours; the hub itself is live, so the board is not stale.
    expectMatches(stale, mes);
    expect(stale.boardStale).toBe(false);
    const health = (await (await fetch(`${hub.base}/healthz`)).json()) as {
      sources: Record<string, { ok: boolean; detail: string }>;
    };
    expect(health.sources.mes?.ok).toBe(false);

    const startedAt = Date.now();
    await server.start();
    // The source retries 1 s after the failure, then 2 s later (the example's defaults):
    // the outage above lasts about a second, so the marks clear within a few seconds.
    await page.waitForFunction(
      () => document.querySelectorAll('[data-tile][data-stale]').length === 0,
      undefined,
      { timeout: LIVE_MS },
    );
    console.log(`stale marks cleared ${Date.now() - startedAt} ms after pg_ctl start began`);
    await db.end();
    db = await connect();
    const fresh = await shown(page);
    expectMatches(fresh, await workplaces(db));
    expect(fresh.boardStale).toBe(false);
  });
});
