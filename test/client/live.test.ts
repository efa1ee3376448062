/**
 * `subscribe()` from andon/client in Chromium against a real in-process hub
 * (run `npm run build` first: the hub serves the compiled client): updates
 * with their ids, the retained state first, replay after a dropped
 * connection with no gap and no duplicate, a reset after a hub restart,
 * staleness and recovery, heartbeats keeping a quiet stream fresh, a silent
 * connection dropped and resumed, tokens, refusals and the size limit.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import {
  type ClientPage,
  cleanup,
  openClientPage,
  type PageGlobals,
  STEP_TIMEOUT_MS,
} from './page.js';

declare const window: PageGlobals;

const TEMPLATE = 'https://andon.example/workplaces/{id}';
const tile = (n: number) => `https://andon.example/workplaces/${n}`;
/** Waits within a test, for steps that include a reconnection's backoff. */
const RECONNECT_TIMEOUT_MS = 10_000;
/** The compiled client, as the hub serves it. */
const CLIENT_DIR = new URL('../../dist/web/client/', import.meta.url);
/** A fast backoff, so reconnection tests stay short. */
const FAST_RETRY = { initialMs: 100, maxMs: 500 };

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** A hub and a page on its origin, torn down after the test (page first). */
async function setup(args: readonly string[] = ['--anonymous']): Promise<{
  hub: TestHub;
  client: ClientPage;
}> {
  const hub = await startHub(args);
  const client = await openClientPage(browser, hub.base);
  cleanup(
    () => client.close(),
    () => hub.close(),
  );
  return { hub, client };
}

async function track(client: ClientPage, name: string, options: Record<string, unknown>) {
  await client.page.evaluate(([n, o]) => window.track(n, o), [name, options] as const);
}

async function waitInPage(
  client: ClientPage,
  name: string,
  condition: string,
  timeout = STEP_TIMEOUT_MS,
): Promise<void> {
  // The condition is an expression over `log` and `sub`, so a timeout names what never came.
  await client.page
    .waitForFunction(
      ([n, c]) => {
        const log = window.logs[n];
        const sub = window.subs[n];
        return log !== undefined && new Function('log', 'sub', `return ${c};`)(log, sub) === true;
      },
      [name, condition] as const,
      { timeout, polling: 10 },
    )
    .catch(async (error: unknown) => {
      const log = await client.page.evaluate((n) => window.logs[n], name);
      throw new Error(
        `Timed out waiting in the page for ${condition}; log: ${JSON.stringify(log)}`,
        {
          cause: error,
        },
      );
    });
}

/** The page's log of subscription `name`, with the subscription's properties. */
function readLog(client: ClientPage, name: string) {
  return client.page.evaluate((n) => {
    const log = window.logs[n];
    const sub = window.subs[n];
    if (log === undefined || sub === undefined) throw new Error(`No subscription ${n} in the page`);
    return {
      ...log,
      state: sub.state,
      lastEventId: sub.lastEventId,
      isStale: sub.stale,
      staleSince: sub.staleSince,
    };
  }, name);
}

async function publish(hub: TestHub, fields: Record<string, string>): Promise<void> {
  const result = await hub.publish(fields);
  expect(result.status, result.body).toBe(200);
}

describe('subscribe', () => {
  it('delivers updates with their ids, types and data, asking for the heartbeat', async () => {
    const { hub, client } = await setup();
    await track(client, 'a', { topics: [TEMPLATE], heartbeatMs: 1000 });
    await waitInPage(client, 'a', "sub.state === 'open'");
    await publish(hub, { topic: tile(1), id: 'urn:test:1', data: '{"state":"Production"}' });
    await publish(hub, { topic: tile(2), id: 'urn:test:2', type: 'tile', data: 'two\nlines' });
    await publish(hub, { topic: tile(1), id: 'urn:test:3', data: '' });
    await publish(hub, { topic: 'https://elsewhere.example/x', id: 'urn:test:4', data: 'no' });
    await publish(hub, { topic: tile(3), id: 'urn:test:5', data: 'Jan Novák 🚦' });
    await waitInPage(client, 'a', 'log.updates.length >= 4');
    const log = await readLog(client, 'a');
    expect(log.updates).toEqual([
      { id: 'urn:test:1', type: 'message', data: '{"state":"Production"}' },
      { id: 'urn:test:2', type: 'tile', data: 'two\nlines' },
      { id: 'urn:test:3', type: 'message', data: '' },
      { id: 'urn:test:5', type: 'message', data: 'Jan Novák 🚦' },
    ]);
    expect(log.lastEventId).toBe('urn:test:5');
    expect(log.states).toEqual(['open']);
    expect(log.isStale).toBe(false);
    const url = new URL(client.requests[0] ?? '');
    expect(url.searchParams.getAll('topic')).toEqual([TEMPLATE]);
    expect(url.searchParams.get('heartbeat')).toBe('1000');
    expect(url.searchParams.has('retained')).toBe(false);
  });

  it('sends the retained state first, then live updates, with no gap or duplicate', async () => {
    const { hub, client } = await setup();
    await publish(hub, { topic: tile(1), id: 'a1', data: 'A1' });
    await publish(hub, { topic: tile(1), id: 'a2', data: 'A2' });
    await publish(hub, { topic: tile(2), id: 'b1', data: 'B1' });
    await track(client, 'a', { topics: [TEMPLATE], retained: true });
    await waitInPage(client, 'a', 'log.updates.length >= 2');
    await publish(hub, { topic: tile(3), id: 'c1', data: 'C1' });
    await waitInPage(client, 'a', 'log.updates.length >= 3');
    const log = await readLog(client, 'a');
    expect(log.events).toEqual(['update:A2', 'update:B1', 'update:C1']);
    expect(new URL(client.requests[0] ?? '').searchParams.get('retained')).toBe('1');
  });

  it('resumes from an initial lastEventId (a server-rendered page)', async () => {
    const { hub, client } = await setup();
    await publish(hub, { topic: tile(1), id: 'r1', data: 'one' });
    await publish(hub, { topic: tile(1), id: 'r2', data: 'two' });
    await track(client, 'a', { topics: [TEMPLATE], retained: true, lastEventId: 'r1' });
    await waitInPage(client, 'a', 'log.updates.length >= 1');
    await publish(hub, { topic: tile(1), id: 'r3', data: 'three' });
    await waitInPage(client, 'a', 'log.updates.length >= 2');
    expect((await readLog(client, 'a')).events).toEqual(['update:two', 'update:three']);
    expect(new URL(client.requests[0] ?? '').searchParams.get('lastEventID')).toBe('r1');
  });

  it('reconnects after the hub drops it and replays what it missed, no gap, no duplicate', async () => {
    // The hub's retry (1 s) holds the page back while the test publishes into the gap.
    const { hub, client } = await setup(['--anonymous', '--retry', '1s']);
    await track(client, 'a', { topics: [TEMPLATE], retained: true, retry: FAST_RETRY });
    await waitInPage(client, 'a', "sub.state === 'open'");
    await publish(hub, { topic: tile(1), id: 'g1', data: '1' });
    await publish(hub, { topic: tile(2), id: 'g2', data: '2' });
    await waitInPage(client, 'a', 'log.updates.length >= 2');

    hub.server.http.closeAllConnections();
    await waitInPage(client, 'a', "sub.state === 'reconnecting'");
    await publish(hub, { topic: tile(1), id: 'g3', data: '3' });
    await publish(hub, { topic: tile(3), id: 'g4', data: '4' });
    expect((await readLog(client, 'a')).state, 'the gap must be published while away').toBe(
      'reconnecting',
    );
    await waitInPage(client, 'a', 'log.updates.length >= 4', RECONNECT_TIMEOUT_MS);
    await publish(hub, { topic: tile(2), id: 'g5', data: '5' });
    await waitInPage(client, 'a', 'log.updates.length >= 5');

    const log = await readLog(client, 'a');
    expect(log.updates.map((u) => u.id)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    expect(log.resets).toEqual([]);
    expect(log.states).toEqual(['open', 'reconnecting', 'open']);
    const again = new URL(client.requests.at(-1) ?? '');
    expect(again.searchParams.get('lastEventID')).toBe('g2');
    expect(again.searchParams.get('retained')).toBe('1');
    // A drop shorter than staleAfterMs does not make the data stale.
    expect(log.events.filter((e) => e === 'stale')).toEqual([]);
  });

  it('announces a reset after a hub restart lost its history, then sends the retained state', async () => {
    const first = await startHub(['--anonymous', '--retry', '200ms']);
    const port = new URL(first.base).port;
    const client = await openClientPage(browser, first.base);
    let second: TestHub | undefined;
    cleanup(
      () => client.close(),
      () => second?.close(),
    );
    await track(client, 'a', { topics: [TEMPLATE], retained: true, retry: FAST_RETRY });
    await waitInPage(client, 'a', "sub.state === 'open'");
    await publish(first, { topic: tile(1), id: 'x1', data: 'X' });
    await waitInPage(client, 'a', 'log.updates.length >= 1');

    first.server.http.closeAllConnections();
    await first.close();
    second = await startHub(['--anonymous', '--retry', '200ms', '--port', port]);
    await publish(second, { topic: tile(2), id: 'y1', data: 'Y' });
    await waitInPage(
      client,
      'a',
      'log.resets.length >= 1 && log.updates.length >= 2',
      RECONNECT_TIMEOUT_MS,
    );
    await publish(second, { topic: tile(3), id: 'z1', data: 'Z' });
    await waitInPage(client, 'a', 'log.updates.length >= 3');

    const log = await readLog(client, 'a');
    // Y came in the retained state after the reset, or live just after it: either way, in order.
    expect(log.events).toEqual(['update:X', 'reset', 'update:Y', 'update:Z']);
    expect(log.resets[0]).toMatchObject({ reason: 'unknown-last-event-id', lastEventId: 'x1' });
    const resumed = client.requests.find((url) => url.includes('lastEventID=x1'));
    expect(resumed, 'a reconnection carrying the last event id').toBeDefined();
    expect(new URL(resumed ?? '').searchParams.get('retained')).toBe('1');
    expect(log.lastEventId).toBe('z1');
  });

  it('goes stale within staleAfterMs of the last bytes while the hub is down, and live when it returns', async () => {
    const STALE_AFTER_MS = 2000;
    const first = await startHub(['--anonymous', '--retry', '200ms']);
    const port = new URL(first.base).port;
    const client = await openClientPage(browser, first.base);
    let second: TestHub | undefined;
    cleanup(
      () => client.close(),
      () => second?.close(),
    );
    await track(client, 'a', {
      topics: [TEMPLATE],
      heartbeatMs: 1000,
      staleAfterMs: STALE_AFTER_MS,
      retry: FAST_RETRY,
    });
    await waitInPage(client, 'a', "sub.state === 'open'");

    first.server.http.closeAllConnections();
    await first.close();
    const closedAt = Date.now();
    await waitInPage(client, 'a', 'log.stale.length >= 1', STALE_AFTER_MS + 1000);
    const down = await readLog(client, 'a');
    const stale = down.stale[0]!;
    expect(down.stale).toHaveLength(1);
    // Reported staleAfterMs after the last bytes (a timer's slack allowed), and no later
    // than staleAfterMs after the hub went away.
    expect(stale.at - stale.since).toBeGreaterThanOrEqual(STALE_AFTER_MS - 5);
    expect(stale.at - stale.since).toBeLessThan(STALE_AFTER_MS + 300);
    expect(stale.at - closedAt).toBeLessThan(STALE_AFTER_MS + 300);
    expect(down.errors.length, 'failed attempts are reported').toBeGreaterThan(0);
    expect(down.errors.every((e) => e.kind === 'network')).toBe(true);
    expect(down.staleSince, 'staleSince while stale').toBe(stale.since);

    second = await startHub(['--anonymous', '--retry', '200ms', '--port', port]);
    await waitInPage(client, 'a', 'log.live.length >= 1 && !sub.stale', RECONNECT_TIMEOUT_MS);
    await publish(second, { topic: tile(1), id: 'after', data: 'back' });
    await waitInPage(client, 'a', 'log.updates.length >= 1');
    const log = await readLog(client, 'a');
    expect(log.events).toEqual(['stale', 'live', 'update:back']);
    expect(log.state).toBe('open');
    expect(log.staleSince).toBeUndefined();
  });

  it('stays fresh on heartbeats alone while nothing is published', async () => {
    const { client } = await setup();
    await track(client, 'a', {
      topics: [TEMPLATE],
      heartbeatMs: 1000,
      staleAfterMs: 2500,
      countHeartbeats: true,
    });
    await waitInPage(client, 'a', 'log.heartbeats >= 3', 8000);
    const log = await readLog(client, 'a');
    expect(log.events).toEqual([]);
    expect(log.states).toEqual(['open']);
    expect(log.errors).toEqual([]);
  });

  it('drops a connection that went silent (no heartbeat) and resumes after the last id', async () => {
    // A server that answers, sends one event, then never another byte: a half-open
    // connection. It serves the client's files too, as Chromium forbids a page on one
    // loopback origin to read from another.
    const seen: IncomingMessage[] = [];
    const silent = createServer((req, res) => {
      const asset = req.url?.match(/^\/assets\/client\/([a-z-]+\.js)$/)?.[1];
      if (asset !== undefined) {
        res.writeHead(200, { 'Content-Type': 'text/javascript' });
        res.end(readFileSync(new URL(asset, CLIENT_DIR)));
        return;
      }
      seen.push(req);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write(`retry: 50\n\nid: h${seen.length}\ndata: hello ${seen.length}\n\n`);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const client = await openClientPage(
      browser,
      `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    );
    cleanup(
      () => client.close(),
      async () => {
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      },
    );

    await track(client, 'a', {
      hub: '/stream',
      topics: ['x'],
      heartbeatMs: 1000,
      staleAfterMs: 1500,
      retry: FAST_RETRY,
    });
    await waitInPage(client, 'a', 'log.updates.length >= 2 && log.live.length >= 1', 6000);
    const log = await readLog(client, 'a');
    expect(log.updates.slice(0, 2).map((u) => u.data)).toEqual(['hello 1', 'hello 2']);
    expect(log.errors[0]?.kind).toBe('stalled');
    expect(log.events.slice(0, 4)).toEqual(['update:hello 1', 'stale', 'live', 'update:hello 2']);
    const second = new URL(seen[1]?.url ?? '', 'http://x');
    expect(second.searchParams.get('lastEventID')).toBe('h1');
  });

  it('sends the token as a Bearer header; without one, reports the refusal and keeps trying', async () => {
    const { hub, client } = await setup([]);
    const token = await hub.subscriberToken([TEMPLATE]);
    await track(client, 'with', { topics: [TEMPLATE], token });
    await track(client, 'without', { topics: [TEMPLATE], retry: FAST_RETRY });
    await waitInPage(client, 'with', "sub.state === 'open'");
    await publish(hub, { topic: tile(1), id: 't1', data: 'secret' });
    await waitInPage(client, 'with', 'log.updates.length >= 1');
    await waitInPage(client, 'without', 'log.errors.length >= 2');
    const refused = await readLog(client, 'without');
    expect(refused.errors[0]).toMatchObject({ kind: 'http', status: 401 });
    expect(refused.errors[0]?.message).toMatch(/anonymous/);
    expect(refused.state).toBe('reconnecting');
    expect(refused.updates).toEqual([]);
  });

  it('drops a stream whose event passes maxEventSize, keeping the last good id', async () => {
    const { hub, client } = await setup();
    await track(client, 'a', { topics: [TEMPLATE], maxEventSize: 64, retry: FAST_RETRY });
    await waitInPage(client, 'a', "sub.state === 'open'");
    await publish(hub, { topic: tile(1), id: 'small', data: 'ok' });
    await publish(hub, { topic: tile(1), id: 'big', data: 'x'.repeat(200) });
    await waitInPage(client, 'a', "log.errors.some((e) => e.kind === 'limit')");
    const log = await readLog(client, 'a');
    expect(log.updates.map((u) => u.id)).toEqual(['small']);
    expect(log.lastEventId).toBe('small');
  });

  it('close() ends the connection for good', async () => {
    const { hub, client } = await setup();
    await track(client, 'a', { topics: [TEMPLATE] });
    await waitInPage(client, 'a', "sub.state === 'open'");
    await waitFor(() => hub.server.hub.engine.size === 1, 'the subscriber at the hub');
    await client.page.evaluate(() => window.subs.a?.close());
    await waitFor(() => hub.server.hub.engine.size === 0, 'the hub to see the subscriber leave');
    const log = await readLog(client, 'a');
    expect(log.states).toEqual(['open', 'closed']);
    expect(log.state).toBe('closed');
  });

  it('rejects bad options at the call', async () => {
    const { client } = await setup();
    const messages = await client.page.evaluate(() => {
      const attempt = (options: Record<string, unknown>) => {
        try {
          window.andon.subscribe(options).close();
          return 'accepted';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      return [
        attempt({ topics: [] }),
        attempt({ topics: ['x'], heartbeatMs: 500 }),
        attempt({ topics: ['x'], staleAfterMs: -1 }),
      ];
    });
    expect(messages[0]).toMatch(/^TypeError: "topics"/);
    expect(messages[1]).toMatch(/^RangeError: "heartbeatMs" .* at least 1000/);
    expect(messages[2]).toMatch(/^RangeError: "staleAfterMs"/);
  });
});
