/**
 * A Chromium page for the browser client's tests: a blank page on the hub's
 * origin that has imported `/assets/client/index.js` (as served by the hub,
 * compiled by `npm run build`) and a harness that records everything a
 * subscription reports, so tests wait on the record instead of sleeping.
 */
import type { Browser, Page } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';

/** How long one step in the page (load, connect, receive) may take before the test fails. */
export const STEP_TIMEOUT_MS = 5000;

/** An update as the page received it. */
export interface PageUpdate {
  readonly id: string;
  readonly type: string;
  readonly data: string;
}

/** Everything one subscription reported, in the page. */
export interface PageLog {
  readonly updates: PageUpdate[];
  readonly resets: { id: string; reason: string; lastEventId: string | undefined }[];
  readonly states: string[];
  /** `since` as given, `at` the page's Date.now() when reported. */
  readonly stale: { since: number; at: number }[];
  readonly live: number[];
  readonly errors: { kind: string; status: number | undefined; message: string }[];
  /** Update data, resets, stale and live, in the order they happened. */
  readonly events: string[];
  /** Heartbeat comments seen on the wire (with `countHeartbeats`). */
  heartbeats: number;
}

/** The part of a subscription the tests read in the page. */
export interface PageSubscription {
  readonly state: string;
  readonly lastEventId: string;
  readonly stale: boolean;
  readonly staleSince: number | undefined;
  close(): void;
}

/** The part of a ServerClock the tests use in the page. */
export interface PageClock {
  readonly offset: number;
  readonly rtt: number | undefined;
  readonly synced: boolean;
  now(): number;
  start(): Promise<void>;
  stop(): void;
  sync(): Promise<{ offset: number; rtt: number; samples: number }>;
  on(type: 'sync', listener: (estimate: { offset: number }) => void): () => void;
}

/** What the harness puts on `window`. */
export interface PageGlobals {
  readonly andon: {
    subscribe(options: Record<string, unknown>): PageSubscription;
    ServerClock: new (options?: Record<string, unknown>) => PageClock;
  };
  readonly logs: Record<string, PageLog>;
  readonly subs: Record<string, PageSubscription>;
  /** Subscribes with `options` (plus `countHeartbeats`) and records it under `name`. */
  track(name: string, options: Record<string, unknown>): void;
  /** The real `Date.now`, kept before a test skews the page's clock. */
  realNow(): number;
  [more: string]: unknown;
}

// The page functions run in Chromium; this file is type-checked without the DOM library.
declare const window: PageGlobals;

const PAGE_PATH = '/client-test';

/**
 * The harness, as the page's module script. With `countHeartbeats`, `fetch`
 * is wrapped to count `:\n\n` comments on the wire (the client does not
 * expose them), so a test can wait for heartbeats rather than for time.
 */
const HARNESS = `
import * as andon from '/assets/client/index.js';
const realNow = Date.now.bind(Date);
window.realNow = realNow;
window.logs = {};
window.subs = {};
window.track = (name, { countHeartbeats, ...options }) => {
  const log = { updates: [], resets: [], states: [], stale: [], live: [], errors: [], events: [], heartbeats: 0 };
  if (countHeartbeats) {
    options.fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (response.body === null) return response;
      const decoder = new TextDecoder();
      const body = response.body.pipeThrough(new TransformStream({
        transform(chunk, controller) {
          log.heartbeats += decoder.decode(chunk, { stream: true }).split(':\\n\\n').length - 1;
          controller.enqueue(chunk);
        },
      }));
      return new Response(body, { status: response.status, headers: response.headers });
    };
  }
  const sub = andon.subscribe(options);
  sub.on('update', (u) => { log.updates.push(u); log.events.push('update:' + u.data); });
  sub.on('reset', (r) => { log.resets.push(r); log.events.push('reset'); });
  sub.on('state', (s) => log.states.push(s));
  sub.on('stale', (since) => { log.stale.push({ since, at: realNow() }); log.events.push('stale'); });
  sub.on('live', (at) => { log.live.push(at); log.events.push('live'); });
  sub.on('error', (e) => log.errors.push({ kind: e.kind, status: e.status, message: e.message }));
  window.logs[name] = log;
  window.subs[name] = sub;
};
window.andon = andon;
`;

/** A page in its own context on `base`'s origin, with the client loaded; closed after the test. */
export async function openClientPage(browser: Browser, base: string): Promise<ClientPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const requests: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/.well-known/mercure')) requests.push(request.url());
  });
  await page.route(`${base}${PAGE_PATH}`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>client test</title>' }),
  );
  await page.goto(`${base}${PAGE_PATH}`);
  await page.addScriptTag({ type: 'module', content: HARNESS });
  await page.waitForFunction(() => window.andon !== undefined, undefined, {
    timeout: STEP_TIMEOUT_MS,
  });
  return {
    page,
    requests,
    async close() {
      await context.close();
      expect(errors, 'uncaught errors in the page').toEqual([]);
    },
  };
}

/** A page opened by {@link openClientPage}. */
export interface ClientPage {
  readonly page: Page;
  /** URLs of the page's requests to the hub, in order. */
  readonly requests: string[];
  /** Closes its context; fails the test if the page threw. */
  close(): Promise<void>;
}

/** Registers teardown steps to run after the test, in the order given (pages before hubs). */
export function cleanup(...steps: (() => Promise<unknown> | undefined)[]): void {
  onTestFinished(async () => {
    for (const step of steps) await step();
  });
}
