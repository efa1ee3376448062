/**
 * `andon serve --workers 2`, run as users run it: two node:cluster workers
 * share the port and each holds its own subscribers, yet every subscriber
 * gets every update once and in the same order, whichever worker took the
 * publish; a subscriber that comes back on the other worker replays exactly
 * what it missed; SIGTERM ends every stream with a retry in both workers;
 * a killed worker is replaced. With the memory store (held by the primary,
 * reached over IPC), with a SQLite file every process opens, and with Redis
 * (every worker reads it itself).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/mercure/auth.js';
import { type AndonProcess, startAndon } from './helpers/andon-process.js';
import { RawSseClient, type SseBlock } from './helpers/raw-sse-client.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { waitFor } from './helpers/wait.js';

const KEY = 'workers-test-key-long-enough-for-hs256!';
const TOPIC = 'https://andon.example/workers';
const SUBSCRIBE = `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`;
/** Subscribers per test: round-robin puts half on each worker. */
const SUBSCRIBERS = 8;
/** Connections tried before giving up on landing on a given worker (round-robin alternates). */
const MAX_LANDING_TRIES = 20;

const dir = mkdtempSync(join(tmpdir(), 'andon-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(store: string): Promise<AndonProcess> {
  return startAndon({
    args: ['--workers', '2', '--store', store, '--anonymous', '--jwt-key', KEY, '--retry', '300ms'],
  });
}

/** Publishes `data` to `andon`; resolves with the update's id. */
async function publish(andon: AndonProcess, token: string, data: string): Promise<string> {
  const response = await fetch(`${andon.url}/.well-known/mercure`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ topic: TOPIC, data }),
  });
  const body = await response.text();
  expect(response.status, body).toBe(200);
  return body;
}

function worker(client: RawSseClient): string {
  const id = client.headers['x-andon-worker'];
  expect(id, 'the X-Andon-Worker header').toBeDefined();
  return id!;
}

/** Subscribes until the connection lands on a worker `accept` likes; closes the others. */
async function subscribeOn(
  andon: AndonProcess,
  accept: (worker: string) => boolean,
  headers: Record<string, string> = {},
): Promise<RawSseClient> {
  for (let i = 0; i < MAX_LANDING_TRIES; i++) {
    const client = await RawSseClient.connect(andon.port, { path: SUBSCRIBE, headers });
    expect(client.status).toBe(200);
    if (accept(worker(client))) return client;
    client.destroy();
  }
  throw new Error(`no connection landed on the wanted worker in ${MAX_LANDING_TRIES} tries`);
}

function dataOf(blocks: readonly SseBlock[]): string[] {
  return blocks.filter((b) => b.event === undefined).map((b) => b.data!);
}

interface Health {
  readonly pid: number;
  readonly worker: number;
  readonly subscribers: number;
}

/** The health of `count` workers (other than `gone`), by worker id, asking until each answered. */
async function healthOfWorkers(
  andon: AndonProcess,
  count: number,
  gone: readonly number[] = [],
): Promise<Map<number, Health>> {
  const seen = new Map<number, Health>();
  await waitFor(
    async () => {
      // A fresh connection each time: keep-alive would stay on one worker.
      const response = await fetch(`${andon.url}/healthz`, { headers: { Connection: 'close' } });
      const health = (await response.json()) as Health;
      if (!gone.includes(health.worker)) seen.set(health.worker, health);
      return seen.size >= count;
    },
    `/healthz answers from ${count} workers`,
    10_000,
  );
  return seen;
}

let redis: TestRedis | undefined;
/** Each Redis test gets its own database: the hubs of one test are one hub, the tests are not. */
let redisDb = 0;
beforeAll(async () => {
  redis = await startRedis();
}, 600_000);
afterAll(() => redis?.destroy());

describe.each([
  ['memory', () => 'memory'],
  ['sqlite', () => `sqlite:${join(dir, `andon-${Date.now()}.db`)}`],
  ['redis', () => redis!.url(redisDb++)],
])('andon serve --workers 2 with the %s store', (_name, store) => {
  it('delivers every update once, in one order, to subscribers on both workers', async () => {
    const andon = await start(store());
    const token = await signToken({ key: KEY, publish: ['*'] });
    const clients = await Promise.all(
      Array.from({ length: SUBSCRIBERS }, () =>
        RawSseClient.connect(andon.port, { path: SUBSCRIBE }),
      ),
    );
    const workers = new Set(clients.map(worker));
    expect(workers.size, 'subscribers on both workers').toBe(2);

    // Three publishers at once, each on its own connections: the workers take publishes concurrently.
    const published: string[] = [];
    await Promise.all(
      [0, 1, 2].map(async (p) => {
        for (let i = 0; i < 10; i++) published.push(await publish(andon, token, `p${p}-${i}`));
      }),
    );
    const received = await Promise.all(
      clients.map(async (client) => (await client.waitForEvents(30)).map((b) => b.id!)),
    );
    for (const ids of received) {
      expect(ids).toEqual(received[0]);
      expect(new Set(ids).size).toBe(30);
    }
    expect([...received[0]!].sort()).toEqual([...published].sort());
    // Each publisher's updates arrive in the order it published them.
    const order = dataOf(clients[0]!.events());
    for (const p of [0, 1, 2]) {
      expect(order.filter((d) => d.startsWith(`p${p}-`))).toEqual(
        Array.from({ length: 10 }, (_, i) => `p${p}-${i}`),
      );
    }

    const exit = andon.kill('SIGTERM');
    await Promise.all(clients.map((client) => client.waitForEnd(10_000)));
    expect(await exit).toEqual({ code: 0, signal: null });
    for (const client of clients) {
      const last = client.blocks[client.blocks.length - 1];
      expect(Number(last?.retry), 'a retry block ends each stream').toBeGreaterThanOrEqual(300);
    }
    expect(andon.output().match(/andon: serving on/g)).toHaveLength(1);
  });

  it('replays exactly what a subscriber missed when it comes back on the other worker', async () => {
    const andon = await start(store());
    const token = await signToken({ key: KEY, publish: ['*'] });
    const first = await subscribeOn(andon, () => true);
    const firstWorker = worker(first);
    const before = [];
    for (let i = 0; i < 5; i++) before.push(await publish(andon, token, `before-${i}`));
    const seen = await first.waitForEvents(5);
    first.destroy();
    const missed = [];
    for (let i = 0; i < 7; i++) missed.push(await publish(andon, token, `missed-${i}`));

    const back = await subscribeOn(andon, (w) => w !== firstWorker, {
      'Last-Event-ID': seen[seen.length - 1]!.id!,
    });
    const replayed = await back.waitForEvents(7);
    expect(replayed.map((b) => b.id)).toEqual(missed);
    const live = await publish(andon, token, 'live');
    const after = await back.waitForEvents(8);
    expect(after.map((b) => b.id)).toEqual([...missed, live]);
    expect(seen.map((b) => b.id)).toEqual(before);
    back.destroy();
    expect(await andon.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('replaces a worker that dies, and keeps serving the other', async () => {
    const andon = await start(store());
    const token = await signToken({ key: KEY, publish: ['*'] });
    const health = await healthOfWorkers(andon, 2);
    const [victim, survivor] = [...health.values()] as [Health, Health];
    const onSurvivor = await subscribeOn(andon, (w) => w === String(survivor.worker));
    const onVictim = await subscribeOn(andon, (w) => w === String(victim.worker));

    process.kill(victim.pid, 'SIGKILL');
    await onVictim.waitForEnd();
    await waitFor(
      () => /worker \d+ \(pid \d+\) died \(signal SIGKILL\); starting another/.test(andon.output()),
      'the log line about the dead worker',
    );
    const id = await publish(andon, token, 'after the death');
    expect((await onSurvivor.waitForEvents(1)).map((b) => b.id)).toEqual([id]);

    // The replacement serves, with the same history.
    const now = await healthOfWorkers(andon, 2, [victim.worker]);
    expect([...now.values()].map((h) => h.pid)).toContain(survivor.pid);
    const replacement = await subscribeOn(
      andon,
      (w) => w !== String(survivor.worker) && w !== String(victim.worker),
      { 'Last-Event-ID': 'earliest' },
    );
    expect((await replacement.waitForEvents(1)).map((b) => b.id)).toEqual([id]);
    const next = await publish(andon, token, 'to both');
    expect((await replacement.waitForEvents(2)).map((b) => b.id)).toEqual([id, next]);
    expect((await onSurvivor.waitForEvents(2)).map((b) => b.id)).toEqual([id, next]);
    for (const client of [onSurvivor, replacement]) client.destroy();
    expect(await andon.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});

/** True while a process with `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('andon serve --workers: the primary', () => {
  it('runs the sources once, and every worker reports their health', async () => {
    const andon = await startAndon({
      args: ['--workers', '2', '--demo', '--anonymous', '--jwt-key', KEY],
    });
    const health = await waitForSourceReports(andon);
    for (const worker of health) expect(worker.sources.demo?.detail).toMatch(/demo hall/);
    expect(andon.output().match(/source demo: .* started/g)).toHaveLength(1);
    expect(await andon.kill('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('takes its workers down with it when it is killed', async () => {
    const andon = await startAndon({ args: ['--workers', '2', '--anonymous', '--jwt-key', KEY] });
    const pids = [...(await healthOfWorkers(andon, 2)).values()].map((h) => h.pid);
    await andon.kill('SIGKILL');
    await waitFor(() => pids.every((pid) => !alive(pid)), 'both workers to exit', 10_000);
  });

  it('stops with exit 1, saying why, when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(startAndon({ port, args: ['--workers', '2'] })).rejects.toThrow(
        /exited \(code 1\) before serving[\s\S]*EADDRINUSE/,
      );
    } finally {
      blocker.close();
    }
  });
});

/** Asks /healthz until both workers report the primary's sources (reports come every second). */
async function waitForSourceReports(
  andon: AndonProcess,
): Promise<{ sources: Record<string, { detail: string }> }[]> {
  const seen = new Map<number, { sources: Record<string, { detail: string }> }>();
  await waitFor(
    async () => {
      const response = await fetch(`${andon.url}/healthz`, { headers: { Connection: 'close' } });
      const health = (await response.json()) as Health & {
        sources: Record<string, { detail: string }>;
      };
      if (!/no report yet/.test(health.sources.demo?.detail ?? '')) seen.set(health.worker, health);
      return seen.size >= 2;
    },
    'both workers to report the demo source',
    10_000,
  );
  return [...seen.values()];
}
