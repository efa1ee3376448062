/**
 * The nginx example of docs/deployment.md works as written: its one
 * ```nginx block is read from the page (so page and test cannot drift), its
 * node addresses and listen port replaced by loopback ports, and run by a
 * real nginx in front of three `andon serve` nodes on one real Redis.
 *
 * - An update published through nginx reaches a subscriber through nginx
 *   while the stream stays open, each before the next is published, and
 *   heartbeats come through between them: nothing is buffered.
 * - A subscriber that reconnects through nginx with its Last-Event-ID,
 *   landing on whichever node nginx picks, gets exactly what it missed,
 *   then live updates.
 * - Streams are spread over the nodes, and an update published through
 *   nginx reaches them all.
 * - Authorization (subscribers and publishers need tokens here) and
 *   Last-Event-ID pass through.
 *
 * Runs `bin/andon.js`, which imports `dist/`: run `npm run build` after
 * changing `src/`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/mercure/auth.js';
import { type AndonProcess, REPO_ROOT, startAndon } from './helpers/andon-process.js';
import { TEST_KEY } from './helpers/hub.js';
import { startNginx, type TestNginx } from './helpers/nginx.js';
import { duplicates, firstDifference, HUB_PATH } from './helpers/publish-loop.js';
import { RawSseClient } from './helpers/raw-sse-client.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { waitFor } from './helpers/wait.js';

/** Waits across nginx and three processes: generous for a loaded 2-core machine, never a speed claim. */
const DELIVERY_WAIT_MS = 15_000;
const SELECTOR = 'https://ex/deploy/{board}';

/**
 * The site of docs/deployment.md: its only ```nginx block, with each
 * upstream `server HOST:PORT` given a node's port, in order, and `listen 80`
 * given `port` on the loopback.
 */
function deploymentSite(port: number, nodePorts: readonly number[]): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs/deployment.md'), 'utf8');
  const blocks = [...doc.matchAll(/^```nginx\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1) {
    throw new Error(`docs/deployment.md must hold one \`\`\`nginx block; it has ${blocks.length}`);
  }
  const site = blocks[0]![1]!;
  const servers = site.match(/^\s*server\s+[^\s;]+:\d+\b/gm) ?? [];
  if (servers.length !== nodePorts.length) {
    throw new Error(
      `the nginx block of docs/deployment.md names ${servers.length} upstream servers; the test runs ${nodePorts.length} nodes`,
    );
  }
  if ((site.match(/^\s*listen\s+80;$/gm) ?? []).length !== 1) {
    throw new Error('the nginx block of docs/deployment.md must listen on port 80, once');
  }
  let next = 0;
  return site
    .replace(
      /^(\s*server\s+)[^\s;]+:\d+\b/gm,
      (_, lead: string) => `${lead}127.0.0.1:${nodePorts[next++]}`,
    )
    .replace(/^(\s*listen\s+)80;$/m, (_, lead: string) => `${lead}127.0.0.1:${port};`);
}

let redis: TestRedis;
let nodes: AndonProcess[] = [];
let nginx: TestNginx;
let publisherToken: string;
let subscriberToken: string;
const clients: RawSseClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // No --anonymous: subscribers need their Authorization header to get through nginx.
  const args = ['--store', redis.url(0), '--jwt-key', TEST_KEY, '--heartbeat', '500ms'];
  nodes = await Promise.all([1, 2, 3].map(() => startAndon({ args })));
  nginx = await startNginx((port) =>
    deploymentSite(
      port,
      nodes.map((node) => node.port),
    ),
  );
  publisherToken = await signToken({ key: TEST_KEY, publish: ['*'] });
  subscriberToken = await signToken({ key: TEST_KEY, subscribe: [SELECTOR] });
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await nginx?.stop();
  await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
  await redis?.destroy();
});

/** Subscribes through nginx with the subscriber's token (and a Last-Event-ID when given). */
async function subscribe(lastEventId?: string): Promise<RawSseClient> {
  const client = await RawSseClient.connect(nginx.port, {
    path: `${HUB_PATH}?topic=${encodeURIComponent(SELECTOR)}`,
    headers: {
      Authorization: `Bearer ${subscriberToken}`,
      ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
    },
  });
  clients.push(client);
  expect(client.status, nginx.errorLog()).toBe(200);
  expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
  return client;
}

/** Publishes a private update through nginx, expecting it acknowledged. */
async function publish(id: string): Promise<void> {
  const response = await fetch(`${nginx.url}${HUB_PATH}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${publisherToken}` },
    body: new URLSearchParams({ topic: 'https://ex/deploy/line-1', id, data: id, private: 'on' }),
    signal: AbortSignal.timeout(10_000),
  });
  expect({ status: response.status, body: await response.text() }).toEqual({
    status: 200,
    body: id,
  });
}

function ids(client: RawSseClient): string[] {
  return client.events().map((block) => block.id ?? '');
}

/** The subscribers `node` itself holds, from its own /healthz (not through nginx). */
async function subscribers(node: AndonProcess): Promise<number> {
  const response = await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as { subscribers: number }).subscribers;
}

function heartbeats(client: RawSseClient): number {
  return client.blocks.filter((block) => block.data === undefined && block.comments.length > 0)
    .length;
}

describe('the nginx example of docs/deployment.md, in front of three nodes on one Redis', () => {
  it('streams each update through nginx as it is published, with heartbeats between', async () => {
    const client = await subscribe();
    for (let n = 1; n <= 5; n++) {
      await publish(`live-${n}`);
      // The next update is published only once this one came through: none waits in a buffer.
      await waitFor(
        () => ids(client).includes(`live-${n}`),
        `live-${n} through nginx`,
        DELIVERY_WAIT_MS,
        () => `received ${JSON.stringify(ids(client))}; nginx said: ${nginx.errorLog()}`,
      );
      expect(client.ended).toBe(false);
    }
    const beats = heartbeats(client);
    await waitFor(
      () => heartbeats(client) >= beats + 2,
      'two heartbeats through nginx',
      DELIVERY_WAIT_MS,
    );
    expect(ids(client)).toEqual(['live-1', 'live-2', 'live-3', 'live-4', 'live-5']);
    expect(client.ended).toBe(false);
  });

  it('replays what a subscriber missed when it comes back through nginx with its Last-Event-ID', async () => {
    let client = await subscribe();
    await publish('replay-0');
    await waitFor(() => ids(client).includes('replay-0'), 'replay-0', DELIVERY_WAIT_MS);
    const connections: string[][] = [];
    const published = ['replay-0'];
    let n = 1;
    for (let hop = 1; hop <= 4; hop++) {
      client.destroy();
      connections.push(ids(client));
      // Missed while away...
      for (let k = 0; k < 5; k++, n++) {
        await publish(`replay-${n}`);
        published.push(`replay-${n}`);
      }
      // ...replayed on reconnection, wherever nginx sends it...
      const missed = published.slice(published.indexOf(connections.at(-1)!.at(-1)!) + 1);
      client = await subscribe(connections.at(-1)!.at(-1)!);
      expect(client.headers['last-event-id']).toBe(connections.at(-1)!.at(-1)!);
      await waitFor(
        () => ids(client).length >= missed.length,
        `hop ${hop}: the replay of ${missed.length} updates`,
        DELIVERY_WAIT_MS,
      );
      expect(ids(client)).toEqual(missed);
      // ...then live.
      await publish(`replay-${n}`);
      published.push(`replay-${n}`);
      n++;
      await waitFor(
        () => ids(client).includes(published.at(-1)!),
        `hop ${hop}: a live update after the replay`,
        DELIVERY_WAIT_MS,
      );
    }
    connections.push(ids(client));
    const received = connections.flat();
    expect(duplicates(received)).toEqual([]);
    expect(firstDifference(received, published)).toBeUndefined();
  });

  it('spreads streams over the nodes (least_conn), each node serving its share', async () => {
    const before = await Promise.all(nodes.map(subscribers));
    await Promise.all(Array.from({ length: 6 }, () => subscribe()));
    let now: number[] = [];
    await waitFor(
      async () => {
        now = await Promise.all(nodes.map(subscribers));
        return now.every((count, i) => count > before[i]!);
      },
      'every node to hold one of the new streams',
      DELIVERY_WAIT_MS,
      () => `subscribers per node: before ${JSON.stringify(before)}, now ${JSON.stringify(now)}`,
    );
    // An update published through nginx reaches them all, wherever they are.
    const open = clients.filter((client) => !client.closed);
    await publish('spread-1');
    await waitFor(
      () => open.every((client) => ids(client).includes('spread-1')),
      'every open stream to receive spread-1',
      DELIVERY_WAIT_MS,
    );
  });
});
