/**
 * Three `andon serve` processes on one real Redis behave as one hub.
 *
 * - Cross-node delivery: updates published round-robin to the three nodes
 *   reach every subscriber on every node, exactly once, in one order (the
 *   store's), which keeps each publisher's own order.
 * - Cross-node replay: a subscriber that leaves one node while updates go on
 *   and comes back to another with its Last-Event-ID gets exactly what it
 *   missed, then live updates: no gap, no duplicate, hop after hop.
 * - A full Redis (maxmemory with noeviction) refuses publishes with 503;
 *   nothing half-written, nothing evicted.
 * - Redis SIGKILLed and restarted mid-stream, twice: while it is away,
 *   publishes are refused with 503 and a sentence saying why, `/healthz`
 *   answers 503 with the store's detail, `/metrics` shows `andon_store_up 0`,
 *   and subscribers stay connected, fed with heartbeats. Once Redis is back
 *   the nodes recover by themselves, and every acknowledged update reaches
 *   every subscriber once, in the stored order. A publish whose answer the
 *   kill cut (no answer, or a 503 for a command in flight when the
 *   connection broke) is not acknowledged but may have been stored: it
 *   appears at most once, in its place.
 *
 * Runs `bin/andon.js`, which imports `dist/`: run `npm run build` after
 * changing `src/`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/mercure/auth.js';
import { type AndonProcess, startAndon } from './helpers/andon-process.js';
import { EventSourceClient } from './helpers/event-source.js';
import { TEST_KEY } from './helpers/hub.js';
import {
  duplicates,
  firstDifference,
  HUB_PATH,
  type PublishLoop,
  startPublishLoop,
} from './helpers/publish-loop.js';
import { RawSseClient } from './helpers/raw-sse-client.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { waitFor } from './helpers/wait.js';

const NODES = 3;
/** Short, so a test sees several heartbeats during a Redis outage of a second or two. */
const HEARTBEAT = '200ms';
/** Waits for deliveries across processes: generous for a loaded 2-core machine, never a speed claim. */
const DELIVERY_WAIT_MS = 15_000;
/** Redis kills in the outage test: the second shows recovery is not a one-off. */
const OUTAGES = 2;

let redis: TestRedis;
let nodes: AndonProcess[] = [];
let token: string;
const raws: RawSseClient[] = [];
const sources: EventSourceClient[] = [];
const loops: PublishLoop[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const args = [
    '--store',
    redis.url(0),
    '--jwt-key',
    TEST_KEY,
    '--anonymous',
    '--heartbeat',
    HEARTBEAT,
    '--retry',
    '200ms',
  ];
  nodes = await Promise.all(Array.from({ length: NODES }, () => startAndon({ args })));
  token = await signToken({ key: TEST_KEY, publish: ['*'] });
});

afterAll(async () => {
  await Promise.allSettled(loops.splice(0).map((loop) => loop.stop()));
  for (const client of raws.splice(0)) client.destroy();
  for (const client of sources.splice(0)) client.close();
  await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
  await redis?.destroy();
});

function subscribePath(selector: string): string {
  return `${HUB_PATH}?topic=${encodeURIComponent(selector)}`;
}

async function rawSubscriber(
  node: AndonProcess,
  selector: string,
  lastEventId?: string,
): Promise<RawSseClient> {
  const client = await RawSseClient.connect(node.port, {
    path: subscribePath(selector),
    ...(lastEventId === undefined ? {} : { headers: { 'Last-Event-ID': lastEventId } }),
  });
  raws.push(client);
  expect(client.status).toBe(200);
  return client;
}

function eventSource(node: AndonProcess, selector: string): EventSourceClient {
  const client = new EventSourceClient(`${node.url}${subscribePath(selector)}`);
  sources.push(client);
  return client;
}

function rawIds(client: RawSseClient): string[] {
  return client.events().map((block) => block.id ?? '');
}

function sourceIds(client: EventSourceClient): string[] {
  return client.events.map((event) => event.lastEventId);
}

function heartbeats(client: RawSseClient): number {
  return client.blocks.filter((block) => block.data === undefined && block.comments.length > 0)
    .length;
}

/** Publishes one update to `node`, expecting it acknowledged. */
async function publishOne(node: AndonProcess, topic: string, id: string): Promise<void> {
  const response = await fetch(`${node.url}${HUB_PATH}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: new URLSearchParams({ topic, id, data: id }),
    signal: AbortSignal.timeout(10_000),
  });
  expect({ status: response.status, body: await response.text() }).toEqual({
    status: 200,
    body: id,
  });
}

/** Runs one publisher per node, each starting on a different node and going round the others. */
function publishers(prefix: string, topicBase: string): PublishLoop[] {
  const started = Array.from({ length: NODES }, (_, p) =>
    startPublishLoop({
      name: `${prefix}-p${p}`,
      ports: nodes.map((node) => node.port),
      token,
      topic: () => `${topicBase}/p${p}`,
      firstNode: p,
    }),
  );
  loops.push(...started);
  return started;
}

async function stopAll(running: readonly PublishLoop[]): Promise<void> {
  await Promise.all(running.map((loop) => loop.stop()));
  for (const loop of running) loops.splice(loops.indexOf(loop), 1);
}

/**
 * The store's order of every update on `selector`: a fresh subscriber asking
 * for everything (`Last-Event-ID: earliest`) replays it, up to `lastId`.
 */
async function history(node: AndonProcess, selector: string, lastId: string): Promise<string[]> {
  const client = await rawSubscriber(node, selector, 'earliest');
  await waitFor(
    () => rawIds(client).includes(lastId),
    `the replay to reach ${lastId}`,
    DELIVERY_WAIT_MS,
  );
  client.destroy();
  return rawIds(client);
}

/** Each publisher's acknowledged updates appear in `stored` in the order they were acknowledged. */
function expectPublisherOrder(stored: readonly string[], running: readonly PublishLoop[]): void {
  for (const loop of running) {
    const acked = new Set(loop.log.acked);
    const mine = stored.filter((id) => acked.has(id));
    expect(firstDifference(mine, loop.log.acked), loop.name).toBeUndefined();
  }
}

async function health(node: AndonProcess): Promise<{ status: number; body: string }> {
  const response = await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

async function metric(node: AndonProcess, name: string): Promise<number | undefined> {
  const response = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line === null ? undefined : Number(line[1]);
}

describe('three andon serve nodes on one Redis', () => {
  it('delivers every update published to any node to every subscriber on every node, once, in one order', async ({
    annotate,
  }) => {
    const base = 'https://ex/cluster/a';
    const selector = `${base}/{source}`;
    const subscribers: { name: string; ids: () => string[] }[] = [];
    for (const [i, node] of nodes.entries()) {
      const raw = await rawSubscriber(node, selector);
      const source = eventSource(node, selector);
      subscribers.push(
        { name: `raw@node${i}`, ids: () => rawIds(raw) },
        { name: `eventsource@node${i}`, ids: () => sourceIds(source) },
      );
    }
    // A selector matching one publisher's topic only, on each node.
    const narrow = await Promise.all(nodes.map((node) => rawSubscriber(node, `${base}/p1`)));
    // Every subscriber is listening once it received an update published before the run.
    await publishOne(nodes[0]!, `${base}/control`, 'a-start');
    await waitFor(
      () => subscribers.every((s) => s.ids().includes('a-start')),
      'every subscriber to receive a-start',
      DELIVERY_WAIT_MS,
    );

    const running = publishers('a', base);
    await Promise.all(running.map((loop) => loop.ackedMore(100, DELIVERY_WAIT_MS)));
    await stopAll(running);
    await publishOne(nodes[2]!, `${base}/control`, 'a-end');
    await waitFor(
      () => subscribers.every((s) => s.ids().includes('a-end')),
      'every subscriber to receive a-end',
      DELIVERY_WAIT_MS,
      () => subscribers.map((s) => `${s.name}: ${s.ids().length}`).join(', '),
    );

    const stored = await history(nodes[1]!, selector, 'a-end');
    const acked = running.flatMap((loop) => loop.log.acked);
    expect(running.flatMap((loop) => loop.log.refused)).toEqual([]);
    expect(running.flatMap((loop) => loop.log.cut)).toEqual([]);
    expect(stored.length).toBe(acked.length + 2);
    expect(new Set(stored)).toEqual(new Set(['a-start', ...acked, 'a-end']));
    expectPublisherOrder(stored, running);
    for (const subscriber of subscribers) {
      const ids = subscriber.ids();
      expect(duplicates(ids), subscriber.name).toEqual([]);
      expect(firstDifference(ids, stored), subscriber.name).toBeUndefined();
    }
    const p1 = stored.filter((id) => id.startsWith('a-p1-'));
    await waitFor(
      () => narrow.every((client) => rawIds(client).length >= p1.length),
      `the ${base}/p1 subscribers to receive ${p1.length} updates`,
      DELIVERY_WAIT_MS,
    );
    for (const client of narrow) expect(firstDifference(rawIds(client), p1)).toBeUndefined();
    await annotate(
      `${acked.length} updates published round-robin to ${NODES} nodes, ${subscribers.length + narrow.length} subscribers`,
    );
  });

  it('replays exactly what a subscriber missed when it comes back to another node with its Last-Event-ID', async ({
    annotate,
  }) => {
    const base = 'https://ex/cluster/b';
    const selector = `${base}/{source}`;
    // Stays on node 0 throughout: the order every subscriber must see.
    const steady = await rawSubscriber(nodes[0]!, selector);
    let hopper = await rawSubscriber(nodes[0]!, selector);
    await publishOne(nodes[1]!, `${base}/control`, 'b-start');
    await hopper.waitForEvents(1, DELIVERY_WAIT_MS);
    const connections: string[][] = [];
    const missed: number[] = [];

    const running = publishers('b', base);
    const ackedNow = () => running.reduce((sum, loop) => sum + loop.log.acked.length, 0);
    const HOPS = 6;
    for (let hop = 1; hop <= HOPS; hop++) {
      // Live for a while on this node...
      const live = rawIds(hopper).length;
      await waitFor(
        () => rawIds(hopper).length >= live + 20,
        `hop ${hop}: 20 live updates`,
        DELIVERY_WAIT_MS,
      );
      // ...then away while the publishers go on...
      hopper.destroy();
      const received = rawIds(hopper);
      connections.push(received);
      const target = ackedNow() + 30;
      await waitFor(() => ackedNow() >= target, `hop ${hop}: 30 publishes while away`);
      missed.push(ackedNow() - (target - 30));
      // ...and back on the next node, resuming from the last update it received.
      hopper = await rawSubscriber(nodes[hop % NODES]!, selector, received.at(-1)!);
    }
    await Promise.all(running.map((loop) => loop.ackedMore(10, DELIVERY_WAIT_MS)));
    await stopAll(running);
    await publishOne(nodes[2]!, `${base}/control`, 'b-end');
    await waitFor(
      () => rawIds(hopper).includes('b-end') && rawIds(steady).includes('b-end'),
      'both subscribers to receive b-end',
      DELIVERY_WAIT_MS,
    );
    connections.push(rawIds(hopper));

    expect(running.flatMap((loop) => loop.log.refused)).toEqual([]);
    const reference = rawIds(steady);
    const stored = await history(nodes[1]!, selector, 'b-end');
    expect(firstDifference(reference, stored)).toBeUndefined();
    expectPublisherOrder(stored, running);
    // Each connection takes up exactly where the one before stopped: together, the whole stream.
    const hopped = connections.flat();
    expect(duplicates(hopped)).toEqual([]);
    expect(firstDifference(hopped, reference)).toBeUndefined();
    for (let i = 1; i < connections.length; i++) {
      const before = connections[i - 1]!.at(-1)!;
      expect(connections[i]![0], `connection ${i} starts after ${before}`).toBe(
        reference[reference.indexOf(before) + 1],
      );
    }
    await annotate(
      `${HOPS} hops across ${NODES} nodes; updates published while away per hop: ${missed.join(', ')}; ${reference.length} updates in all`,
    );
  });

  it('refuses publishes with 503 while Redis is full (maxmemory, noeviction), losing nothing', async () => {
    const base = 'https://ex/cluster/d';
    const selector = `${base}/{source}`;
    const subscriber = await rawSubscriber(nodes[0]!, selector);
    await publishOne(nodes[1]!, `${base}/x`, 'd-before');
    // Any write now exceeds the limit; noeviction (Redis's default) refuses it rather than evict.
    expect(await redis.command('CONFIG SET maxmemory 1')).toBe('+OK\r\n');
    try {
      for (const [i, node] of nodes.entries()) {
        const response = await fetch(`${node.url}${HUB_PATH}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}` },
          body: new URLSearchParams({ topic: `${base}/x`, id: `d-full-${i}`, data: 'x' }),
          signal: AbortSignal.timeout(10_000),
        });
        expect(response.status).toBe(503);
        expect(await response.text()).toMatch(
          /^The update was not acknowledged: The Redis store cannot write \(.*OOM.*\)\. Retry later\.\n?$/,
        );
      }
    } finally {
      expect(await redis.command('CONFIG SET maxmemory 0')).toBe('+OK\r\n');
    }
    await publishOne(nodes[2]!, `${base}/x`, 'd-after');
    await waitFor(() => rawIds(subscriber).includes('d-after'), 'd-after', DELIVERY_WAIT_MS);
    expect(rawIds(subscriber)).toEqual(['d-before', 'd-after']);
    expect(await history(nodes[0]!, selector, 'd-after')).toEqual(['d-before', 'd-after']);
  });

  it('survives Redis killed and restarted mid-stream: 503 while it is away, subscribers kept, nothing acknowledged lost', {
    timeout: 45_000,
  }, async ({ annotate }) => {
    const base = 'https://ex/cluster/c';
    const selector = `${base}/{source}`;
    const rawSubs = await Promise.all(nodes.map((node) => rawSubscriber(node, selector)));
    const esSubs = nodes.map((node) => eventSource(node, selector));
    const subscribers = [
      ...rawSubs.map((client, i) => ({ name: `raw@node${i}`, ids: () => rawIds(client) })),
      ...esSubs.map((client, i) => ({
        name: `eventsource@node${i}`,
        ids: () => sourceIds(client),
      })),
    ];
    await publishOne(nodes[0]!, `${base}/control`, 'c-start');
    await waitFor(
      () => subscribers.every((s) => s.ids().includes('c-start')),
      'every subscriber to receive c-start',
      DELIVERY_WAIT_MS,
    );

    const running = publishers('c', base);
    const ackedNow = () => running.reduce((sum, loop) => sum + loop.log.acked.length, 0);
    await Promise.all(running.map((loop) => loop.ackedMore(50, DELIVERY_WAIT_MS)));

    const heartbeatsInOutages: number[][] = [];
    for (let outage = 1; outage <= OUTAGES; outage++) {
      // Redis goes away mid-stream.
      const beatsAtKill = rawSubs.map(heartbeats);
      const refusedAtKill = running.map((loop) => loop.log.refused.length);
      await redis.kill();
      await waitFor(
        async () => (await Promise.all(nodes.map(health))).every((h) => h.status === 503),
        `outage ${outage}: every node to report it on /healthz`,
        DELIVERY_WAIT_MS,
      );
      for (const node of nodes) {
        const { status, body } = await health(node);
        expect(status).toBe(503);
        const report = JSON.parse(body) as {
          status: string;
          store: { ok: boolean; detail: string };
        };
        expect(report.status).toBe('degraded');
        expect(report.store.ok).toBe(false);
        expect(report.store.detail).toMatch(
          new RegExp(
            `^redis: \\S*127\\.0\\.0\\.1:${redis.port}\\b\\S* unreachable since .+; publishes are refused until it is back$`,
          ),
        );
        expect(await metric(node, 'andon_store_up')).toBe(0);
      }
      await waitFor(
        () => running.every((loop, p) => loop.log.refused.length >= refusedAtKill[p]! + 2),
        `outage ${outage}: every publisher to be refused`,
        DELIVERY_WAIT_MS,
      );
      // Each publisher has one request in flight, so all it sent before is answered: from here
      // until Redis is back, nothing can be acknowledged.
      const ackedInOutage = ackedNow();
      await waitFor(
        () => rawSubs.every((client, i) => heartbeats(client) >= beatsAtKill[i]! + 3),
        `outage ${outage}: three heartbeats on every node`,
        DELIVERY_WAIT_MS,
      );
      expect(ackedNow()).toBe(ackedInOutage);
      expect(rawSubs.every((client) => !client.ended)).toBe(true);
      heartbeatsInOutages.push(rawSubs.map((client, i) => heartbeats(client) - beatsAtKill[i]!));

      // Back: the nodes reconnect by themselves, and delivery goes on.
      await redis.start();
      await waitFor(
        async () => (await Promise.all(nodes.map(health))).every((h) => h.status === 200),
        `outage ${outage}: every node to report the store healthy again`,
        DELIVERY_WAIT_MS,
      );
      for (const node of nodes) {
        expect(await metric(node, 'andon_store_up')).toBe(1);
        expect(await metric(node, 'andon_store_outages_total')).toBeGreaterThanOrEqual(outage);
      }
      await Promise.all(running.map((loop) => loop.ackedMore(50, DELIVERY_WAIT_MS)));
    }
    await stopAll(running);
    for (const [i, node] of nodes.entries())
      await publishOne(node, `${base}/control`, `c-end-${i}`);
    await waitFor(
      () => subscribers.every((s) => s.ids().includes(`c-end-${NODES - 1}`)),
      'every subscriber to receive the end markers',
      DELIVERY_WAIT_MS,
      () => subscribers.map((s) => `${s.name}: ${s.ids().length}`).join(', '),
    );

    const stored = await history(nodes[1]!, selector, `c-end-${NODES - 1}`);
    const acked = running.flatMap((loop) => loop.log.acked);
    const refused = running.flatMap((loop) => loop.log.refused);
    const cut = running.flatMap((loop) => loop.log.cut);
    // Every refusal is a 503 saying why.
    for (const refusal of refused) {
      expect(refusal.status, refusal.body).toBe(503);
      expect(refusal.body).toMatch(
        /^The update was not acknowledged: The Redis store cannot write \((redis: .+ unreachable since .+|the connection to Redis broke before it answered; a write may have been stored, and is then delivered once|not connected to Redis)\)\. Retry later\.\n?$/,
      );
    }
    // Stored once each: every acknowledged update, and nothing that was never sent.
    expect(duplicates(stored)).toEqual([]);
    const storedSet = new Set(stored);
    expect(
      acked.filter((id) => !storedSet.has(id)),
      'acknowledged but lost',
    ).toEqual([]);
    // Refused before its command was sent (Redis known to be away): never stored, never queued.
    const refusedUpFront = refused.filter((r) => !r.body.includes('broke before it answered'));
    expect(
      refusedUpFront.filter((r) => storedSet.has(r.id)),
      'refused up front, yet stored',
    ).toEqual([]);
    const unacknowledged = new Set([...refused.map((r) => r.id), ...cut]);
    const sent = new Set(['c-start', ...acked, ...unacknowledged]);
    for (let i = 0; i < NODES; i++) sent.add(`c-end-${i}`);
    expect(
      stored.filter((id) => !sent.has(id)),
      'stored but never sent',
    ).toEqual([]);
    expectPublisherOrder(stored, running);
    // Every subscriber stayed on its one connection and received the stored stream, once, in order.
    for (const subscriber of subscribers) {
      const ids = subscriber.ids();
      expect(duplicates(ids), subscriber.name).toEqual([]);
      expect(firstDifference(ids, stored), subscriber.name).toBeUndefined();
    }
    for (const client of esSubs) expect(client.opens).toBe(1);
    for (const client of rawSubs) expect(client.ended).toBe(false);
    const unacknowledgedStored = stored.filter((id) => unacknowledged.has(id));
    await annotate(
      JSON.stringify({
        acked: acked.length,
        refused503: refused.length,
        refusedInFlight: refused.length - refusedUpFront.length,
        cut: cut.length,
        unacknowledgedButStored: unacknowledgedStored,
        heartbeatsInOutages,
      }),
    );
  });
});
