/**
 * `ServerClock` from andon/client in Chromium against a real in-process hub's
 * `/now` (run `npm run build` first): a page whose clock is skewed by a known
 * amount estimates that skew to within 50 ms, two pages skewed differently
 * agree on the server's time to within 50 ms, refresh and stop work, and a
 * failed sync keeps the last estimate.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { type ClientPage, cleanup, openClientPage, type PageGlobals } from './page.js';

declare const window: PageGlobals;

/** Agreement the estimate must reach: far tighter than a wall clock shows, loose enough for CI. */
const TOLERANCE_MS = 50;

let browser: Browser;
let hub: TestHub;

beforeAll(async () => {
  browser = await launchBrowser();
  hub = await startHub(['--anonymous']);
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

async function page(): Promise<ClientPage> {
  const client = await openClientPage(browser, hub.base);
  cleanup(() => client.close());
  return client;
}

/** Skews the page's `Date.now` by `skewMs`, then starts a clock; resolves with its estimate. */
function startSkewed(client: ClientPage, skewMs: number, options: Record<string, unknown> = {}) {
  return client.page.evaluate(
    async ([skew, opts]) => {
      const real = window.realNow;
      Date.now = () => real() + skew;
      const clock = new window.andon.ServerClock(opts);
      window.clock = clock;
      await clock.start();
      return { offset: clock.offset, rtt: clock.rtt, synced: clock.synced };
    },
    [skewMs, options] as const,
  );
}

describe('ServerClock', () => {
  it('estimates a known skew of the page clock to within 50 ms', async () => {
    const client = await page();
    const estimate = await startSkewed(client, 5000);
    expect(estimate.synced).toBe(true);
    expect(Math.abs(estimate.offset - -5000)).toBeLessThan(TOLERANCE_MS);
    expect(estimate.rtt).toBeGreaterThanOrEqual(0);
    expect(estimate.rtt).toBeLessThan(TOLERANCE_MS);
  });

  it('gives two pages with different clocks the same time, to within 50 ms', async () => {
    const [a, b] = await Promise.all([page(), page()]);
    const [ea, eb] = await Promise.all([startSkewed(a, 5000), startSkewed(b, -3000)]);
    expect(Math.abs(ea.offset - -5000)).toBeLessThan(TOLERANCE_MS);
    expect(Math.abs(eb.offset - 3000)).toBeLessThan(TOLERANCE_MS);
    // Each page's server time against the machine's real clock, read in the same step:
    // the two errors must agree, whatever each page's own clock says.
    const error = (client: ClientPage) =>
      client.page.evaluate(() => {
        const clock = window.clock as { now(): number };
        return clock.now() - window.realNow();
      });
    const [errorA, errorB] = await Promise.all([error(a), error(b)]);
    expect(Math.abs(errorA - errorB)).toBeLessThan(TOLERANCE_MS);
    expect(Math.abs(errorA)).toBeLessThan(TOLERANCE_MS);
  });

  it('refreshes every refreshMs until stopped, and syncs on demand', async () => {
    const client = await page();
    await startSkewed(client, 0, { refreshMs: 200, samples: 2 });
    await client.page.evaluate(() => {
      const clock = window.clock as { on(type: 'sync', listener: () => void): void };
      window.syncs = 0;
      clock.on('sync', () => {
        window.syncs = (window.syncs as number) + 1;
      });
    });
    await client.page.waitForFunction(() => (window.syncs as number) >= 2, undefined, {
      timeout: 5000,
    });
    const onDemand = await client.page.evaluate(async () => {
      const clock = window.clock as {
        stop(): void;
        sync(): Promise<{ samples: number }>;
      };
      clock.stop();
      return (await clock.sync()).samples;
    });
    expect(onDemand).toBe(2);
  });

  it('syncs again at once when the page clock jumps (an NTP step)', async () => {
    const client = await page();
    const before = await startSkewed(client, 0, { refreshMs: 0 });
    expect(Math.abs(before.offset)).toBeLessThan(TOLERANCE_MS);
    await client.page.evaluate(() => {
      const real = window.realNow;
      Date.now = () => real() + 3000;
      (window.clock as { now(): number }).now();
    });
    await client.page.waitForFunction(
      () => Math.abs((window.clock as { offset: number }).offset + 3000) < 50,
      undefined,
      { timeout: 5000 },
    );
  });

  it('keeps its last estimate when a sync fails, and says why', async () => {
    const client = await page();
    const result = await client.page.evaluate(async () => {
      const clock = new window.andon.ServerClock({ url: '/nowhere', samples: 1, refreshMs: 0 });
      await clock.start();
      const failed = { synced: clock.synced, offset: clock.offset };
      let message = '';
      await clock.sync().catch((error: Error) => {
        message = error.message;
      });
      clock.stop();
      return { failed, message };
    });
    expect(result.failed).toEqual({ synced: false, offset: 0 });
    expect(result.message).toMatch(/Could not read the server's time from .*\/nowhere: .*404/);
  });
});
