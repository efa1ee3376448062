/**
 * The home page in Chromium, against a real `andon serve` process: the time
 * ticks, the traffic figures add up, a 1 ms clock does not freeze the page,
 * and a server killed and started again is picked up with no reload.
 * Screenshots of the key moments go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import { freePort, REPO_ROOT, startAndon } from '../helpers/andon-process.js';
import { launchBrowser } from '../helpers/browser.js';

// The page functions below run in Chromium. This file is type-checked without
// the DOM library (tsconfig's lib is ES2023 only, on purpose for Node code),
// so the little they touch is declared here, scoped to this module.
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  readonly body: PageElement;
};
declare const window: Record<string, unknown>;
declare function requestAnimationFrame(callback: (time: number) => void): number;

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const VIEWPORT = { width: 1280, height: 720 };
/** Fast reconnection, so the restart test stays short. */
const RETRY = ['--retry', '500ms'];

/** What the page shows, parsed. */
interface Figures {
  readonly iso: string | undefined;
  readonly state: string | undefined;
  readonly connection: string | undefined;
  readonly eps: number;
  readonly bytesPerSecond: number;
  readonly count: number;
  readonly reconnects: number;
  readonly lastId: string;
}

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Opens the home page in a fresh context; uncaught page errors fail the test. */
async function openHome(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  onTestFinished(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  onTestFinished(() => {
    expect(errors, 'uncaught errors in the page').toEqual([]);
  });
  await page.goto(url);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** `1,234` → 1234. */
function parseCount(text: string): number {
  return Number(text.replaceAll(',', ''));
}

/** `93 B`, `61.2 KiB`, `1.05 MiB` → bytes. */
function parseBytes(text: string): number {
  const match = /^([\d.,]+) (B|KiB|MiB)$/.exec(text.trim());
  if (match === null) throw new Error(`#bps shows "${text}", not a byte rate.`);
  const scale = { B: 1, KiB: 1024, MiB: 1024 * 1024 }[match[2] as 'B' | 'KiB' | 'MiB'];
  return parseCount(match[1]!) * scale;
}

async function figures(page: Page): Promise<Figures> {
  const raw = await page.evaluate(() => {
    const text = (id: string) => document.getElementById(id)?.textContent ?? '';
    return {
      iso: document.getElementById('time')?.dataset.iso,
      state: document.getElementById('status')?.dataset.state,
      connection: document.body.dataset.connection,
      eps: text('eps'),
      bps: text('bps'),
      count: text('count'),
      reconnects: text('reconnects'),
      lastId: text('last-id'),
    };
  });
  return {
    iso: raw.iso,
    state: raw.state,
    connection: raw.connection,
    eps: parseCount(raw.eps),
    bytesPerSecond: parseBytes(raw.bps),
    count: parseCount(raw.count),
    reconnects: parseCount(raw.reconnects),
    lastId: raw.lastId,
  };
}

async function waitForState(page: Page, state: string, timeout = 5000): Promise<void> {
  await page.waitForFunction(
    (want) =>
      document.getElementById('status')?.dataset.state === want &&
      document.body.dataset.connection === want,
    state,
    { timeout },
  );
}

/**
 * Waits until `#time` shows a time other than `previous`, and returns it with
 * how far it was behind the page's clock at that moment.
 */
async function waitForNewTime(
  page: Page,
  previous: string | undefined,
  timeout = 5000,
): Promise<{ iso: string; lag: number }> {
  const handle = await page.waitForFunction(
    (before) => {
      const iso = document.getElementById('time')?.dataset.iso;
      return iso !== undefined && iso !== before
        ? { iso, lag: Date.now() - Date.parse(iso) }
        : null;
    },
    previous,
    { timeout },
  );
  return (await handle.jsonValue()) as { iso: string; lag: number };
}

/** Frames the page draws in `ms`, counted inside the page. */
function countFrames(page: Page, ms: number): Promise<number> {
  return page.evaluate(
    (span) =>
      new Promise<number>((resolve) => {
        let frames = 0;
        const start = performance.now();
        const frame = () => {
          frames++;
          if (performance.now() - start < span) requestAnimationFrame(frame);
          else resolve(frames);
        };
        requestAnimationFrame(frame);
      }),
    ms,
  );
}

/** The distinct times `#time` showed over `ms`, sampled every frame inside the page. */
function timesShownDuring(page: Page, ms: number): Promise<string[]> {
  return page.evaluate(
    (span) =>
      new Promise<string[]>((resolve) => {
        const seen = new Set<string>();
        const start = performance.now();
        const frame = () => {
          seen.add(document.getElementById('time')?.dataset.iso ?? '');
          if (performance.now() - start < span) requestAnimationFrame(frame);
          else resolve([...seen]);
        };
        requestAnimationFrame(frame);
      }),
    ms,
  );
}

test('shows the server time ticking, live, at one event per second', async () => {
  const server = await startAndon({ args: ['--time-interval', '1s'] });
  onTestFinished(() => server.kill().then(() => undefined));
  const page = await openHome(server.url);

  await waitForState(page, 'live');
  const first = await waitForNewTime(page, undefined);
  const second = await waitForNewTime(page, first.iso, 3000);
  const third = await waitForNewTime(page, second.iso, 3000);
  // One event a second, drawn on the next frame: the time shown is the
  // server's, a second apart, and fresh when it appears.
  const step = Date.parse(third.iso) - Date.parse(second.iso);
  expect(step).toBeGreaterThanOrEqual(900);
  expect(step).toBeLessThanOrEqual(1100);
  expect(Math.abs(third.lag)).toBeLessThan(500);
  expect(Math.abs((await page.evaluate(() => Date.now())) - Date.parse(third.iso))).toBeLessThan(
    1500,
  );

  // Rates are computed over one-second windows; a window may straddle a
  // tick, so wait for the steady reading rather than take the first one.
  await page.waitForFunction(() => document.getElementById('eps')?.textContent === '1', undefined, {
    timeout: 5000,
  });
  const shown = await figures(page);
  expect(shown).toMatchObject({ state: 'live', connection: 'live', eps: 1, reconnects: 0 });
  // One `time` event is ~70 wire bytes (id, event and data lines).
  expect(shown.bytesPerSecond).toBeGreaterThan(20);
  expect(shown.bytesPerSecond).toBeLessThan(500);
  expect(shown.count).toBeGreaterThanOrEqual(3);
  expect(shown.lastId).not.toBe('–');
  expect(await page.textContent('#date')).toMatch(/\d{4}/);
  await screenshot(page, 'home-live-1s');

  // The clock is the page's point: all of it, milliseconds included, must
  // fit in its panel, on a laptop and on a wall screen.
  for (const viewport of [VIEWPORT, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(viewport);
    const fit = await page.evaluate(() => {
      const time = document.getElementById('time') as unknown as {
        scrollWidth: number;
        clientWidth: number;
      };
      return { needs: time.scrollWidth, has: time.clientWidth };
    });
    expect(fit.needs, `#time at ${viewport.width}x${viewport.height}`).toBeLessThanOrEqual(fit.has);
  }
  await screenshot(page, 'home-live-1920');
});

test('stays responsive with a 1 ms clock (hundreds of events a second)', async () => {
  const server = await startAndon({ args: ['--time-interval', '1ms'] });
  onTestFinished(() => server.kill().then(() => undefined));
  const page = await openHome(server.url);

  await waitForState(page, 'live');
  await page.waitForFunction(
    () => Number(document.getElementById('eps')?.textContent?.replaceAll(',', '')) > 300,
    undefined,
    { timeout: 8000 },
  );

  // Handlers only record and drawing happens once a frame, so the page keeps
  // its frame rate (headless Chromium runs at ~60 fps) under the flood.
  const frames = await countFrames(page, 1000);
  expect(frames).toBeGreaterThan(20);

  // And it answers promptly: a round trip into the page stays short.
  const roundTrips: number[] = [];
  const times = new Set<string | undefined>();
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    times.add(await page.evaluate(() => document.getElementById('time')?.dataset.iso));
    roundTrips.push(performance.now() - start);
  }
  expect(Math.max(...roundTrips), `round trips (ms): ${roundTrips.join(', ')}`).toBeLessThan(250);
  expect(times.size).toBeGreaterThan(1);

  const shown = await figures(page);
  expect(shown.state).toBe('live');
  expect(shown.eps).toBeGreaterThan(300);
  expect(shown.bytesPerSecond).toBeGreaterThan(shown.eps * 30);
  expect(shown.count).toBeGreaterThan(300);
  const fresh = await waitForNewTime(page, shown.iso, 1000);
  expect(Math.abs(fresh.lag)).toBeLessThan(500);
  await screenshot(page, 'home-live-1ms');
  console.log(
    `1 ms clock: ${shown.eps} events/s, ${Math.round(shown.bytesPerSecond)} B/s, ${frames} frames in 1 s, ` +
      `slowest round trip ${Math.max(...roundTrips).toFixed(1)} ms`,
  );
});

test('freezes when the server is killed and runs again, with no reload, when it restarts', async () => {
  const port = await freePort();
  const args = ['--time-interval', '100ms', ...RETRY];
  const first = await startAndon({ port, args });
  onTestFinished(() => first.kill().then(() => undefined));
  const page = await openHome(first.url);

  await waitForState(page, 'live');
  const running = await waitForNewTime(page, undefined);
  await page.evaluate(() => {
    window.__marker = 'set before the server died';
  });
  const timeOrigin = await page.evaluate(() => performance.timeOrigin);

  // No goodbye: the process dies and the sockets are cut.
  const exit = await first.kill('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  await waitForState(page, 'reconnecting');
  const lostText = await page.textContent('#status');
  const frozen = await figures(page);
  expect(frozen.iso).toBeDefined();
  expect(Date.parse(frozen.iso!)).toBeGreaterThanOrEqual(Date.parse(running.iso));

  // Proving the absence of events takes a fixed window: 1.5 s is fifteen
  // ticks at 100 ms, and three reconnection attempts at 500 ms.
  expect(await timesShownDuring(page, 1500)).toEqual([frozen.iso]);
  expect(await figures(page)).toMatchObject({
    state: 'reconnecting',
    count: frozen.count,
  });
  // Failed reconnection attempts (every 500 ms) must not move the moment
  // the connection was lost.
  expect(await page.textContent('#status')).toBe(lostText);
  expect(lostText).toMatch(/^connection lost at \d\d:\d\d:\d\d, reconnecting…$/);
  await screenshot(page, 'home-frozen');

  const second = await startAndon({ port, args });
  onTestFinished(() => second.kill().then(() => undefined));
  await page.waitForFunction(
    (before) => {
      const iso = document.getElementById('time')?.dataset.iso;
      return (
        document.getElementById('status')?.dataset.state === 'live' &&
        iso !== undefined &&
        Date.parse(iso) > Date.parse(before)
      );
    },
    frozen.iso!,
    { timeout: 10_000 },
  );
  const resumed = await waitForNewTime(page, undefined);
  await waitForNewTime(page, resumed.iso, 2000);
  // #reconnects is refreshed once a second.
  await page.waitForFunction(
    () => Number(document.getElementById('reconnects')?.textContent) >= 1,
    undefined,
    { timeout: 3000 },
  );

  // The same document throughout: no reload, no navigation.
  expect(await page.evaluate(() => window.__marker)).toBe('set before the server died');
  expect(await page.evaluate(() => performance.timeOrigin)).toBe(timeOrigin);
  const shown = await figures(page);
  expect(shown).toMatchObject({ state: 'live', connection: 'live' });
  expect(shown.reconnects).toBeGreaterThanOrEqual(1);
  expect(shown.count).toBeGreaterThan(frozen.count);
  await screenshot(page, 'home-resumed');
});
