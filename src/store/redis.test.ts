import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../test/helpers/redis.js';
import type { EventDraft, StoredEvent } from '../engine/event.js';
import { isAndonError } from '../errors.js';
import { createRedisStore, type RedisStoreOptions } from './redis.js';
import type { Store, StoreHealth } from './store.js';
import { readAfter, runStoreSuite } from './store.suite.js';

let redis: TestRedis;
const opened: Store[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(opened.map((store) => store.close()));
  await redis?.destroy();
});

/** A store on its own prefix (a fresh, empty hub) unless `prefix` names a shared one. */
function open(options: Partial<RedisStoreOptions> = {}): Store & StoreHealth {
  const store = createRedisStore({
    url: redis.url(),
    prefix: randomUUID(),
    maxReconnectDelayMs: 100,
    ...options,
  });
  opened.push(store);
  return store;
}

runStoreSuite('redis', (retention) => open(retention === undefined ? {} : { retention }));

function drafts(count: number, prefix: string): EventDraft[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i + 1}`,
    data: `payload ${i + 1}`,
    topics: [`https://example.com/t/${i % 3}`],
  }));
}

function ids(events: readonly { id: string }[]): string[] {
  return events.map((event) => event.id);
}

/** Collects what a store's listeners receive. */
function collect(store: Store): { events: StoredEvent[]; until(count: number): Promise<void> } {
  const events: StoredEvent[] = [];
  store.watch((batch) => events.push(...batch));
  return {
    events,
    async until(count) {
      const deadline = Date.now() + 10_000;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`received ${events.length} of ${count} events`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Redis store across processes sharing one Redis', () => {
  it('feeds every node every event once, in one order, wherever it was appended', async () => {
    const prefix = randomUUID();
    const nodes = [open({ prefix }), open({ prefix }), open({ prefix })];
    await Promise.all(nodes.map((node) => node.head()));
    const seen = nodes.map(collect);
    const appended: StoredEvent[] = [];
    // Concurrent appends from every node: Redis orders them once for all.
    await Promise.all(
      nodes.map(async (node, n) => {
        for (let i = 0; i < 20; i++) appended.push(...(await node.append(drafts(2, `n${n}-${i}`))));
      }),
    );
    appended.sort((a, b) => a.position - b.position);
    for (const received of seen) {
      await received.until(appended.length);
      expect(ids(received.events)).toEqual(ids(appended));
    }
  });

  it('resolves an id appended on one node from another, and replays from it', async () => {
    const prefix = randomUUID();
    const [a, b] = [open({ prefix }), open({ prefix })];
    const stored = await a.append(drafts(5, 'x'));
    const position = await b.resolve(stored[1]!.id);
    expect(position).toBe(stored[1]!.position);
    expect(ids(await readAfter(b, position!, 10))).toEqual(ids(stored.slice(2)));
    const latest = await b.latest();
    expect(latest.through).toBe(stored[4]!.position);
    expect(latest.events.map((e) => e.id)).toEqual(['x-3', 'x-4', 'x-5']);
  });

  it('keeps retained state and the boundary id while trimming by count from any node', async () => {
    const prefix = randomUUID();
    const [a, b] = [
      open({ prefix, retention: { maxEvents: 3 } }),
      open({ prefix, retention: { maxEvents: 3 } }),
    ];
    const first = await a.append(drafts(4, 'p'));
    const second = await b.append(drafts(2, 'q'));
    expect(ids(await readAfter(a, 0, 10))).toEqual(['p-4', 'q-1', 'q-2']);
    expect(await a.resolve(first[0]!.id)).toBeUndefined();
    expect(await b.resolve(first[2]!.id)).toBe(first[2]!.position);
    expect((await a.read(first[2]!.position, { limit: 10 })).gap).toBe(false);
    expect((await a.read(first[1]!.position, { limit: 10 })).gap).toBe(true);
    expect(second).toHaveLength(2);
  });
});

/** Script calls Redis has run so far (EVALSHA, and EVAL when the script was not cached). */
async function scriptCalls(): Promise<number> {
  const info = await redis.command('INFO commandstats');
  let calls = 0;
  for (const match of info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g))
    calls += Number(match[1]);
  return calls;
}

describe('Redis store group commit', () => {
  it('sends the appends of one tick as one script, each with its own positions', async () => {
    const store = open();
    await store.append(drafts(1, 'warm'));
    const before = await scriptCalls();
    const appends = Array.from({ length: 50 }, (_, i) => store.append(drafts(1, `g${i}`)));
    const results = (await Promise.all(appends)).flat();
    expect(await scriptCalls()).toBe(before + 1);
    expect(ids(results)).toEqual(Array.from({ length: 50 }, (_, i) => `g${i}-1`));
    for (let i = 1; i < results.length; i++) {
      expect(results[i]!.position).toBe(results[i - 1]!.position + 1);
    }
    expect(ids(await readAfter(store, results[0]!.position - 1, 100))).toEqual(ids(results));
  });
});

describe('Redis store outages', () => {
  it('refuses appends while Redis is down, reports it, and resumes the feed where it stopped', async () => {
    const prefix = randomUUID();
    const store = open({ prefix, blockMs: 500 });
    const reports: boolean[] = [];
    store.watchHealth?.((report) => {
      reports.push(report.ok);
    });
    const received = collect(store);
    const before = await store.append(drafts(3, 'before'));
    await received.until(3);
    expect(store.health().ok).toBe(true);

    await redis.kill();
    await waitUntil('the store reports the outage', () => !store.health().ok);
    expect(store.health().detail).toMatch(/unreachable since .*publishes are refused/);
    let refusal: unknown;
    try {
      await store.append(drafts(1, 'during'));
    } catch (error) {
      refusal = error;
    }
    expect(isAndonError(refusal, 'ANDON_STORE_UNAVAILABLE'), String(refusal)).toBe(true);
    expect((refusal as Error).message).toMatch(/^The Redis store cannot write \(/);

    await redis.start();
    await waitUntil('the store is healthy again', () => store.health().ok, 15_000);
    // A second node appends right away; the first resumes its feed from where it stopped.
    const other = open({ prefix });
    const after = await other.append(drafts(2, 'after'));
    await received.until(5);
    expect(ids(received.events)).toEqual(ids([...before, ...after]));
    // Acknowledged before the crash: still there (appendonly).
    expect(ids(await readAfter(other, 0, 10))).toEqual(ids([...before, ...after]));
    expect(reports).toEqual([true, false, true]);
  }, 60_000);

  it('keeps positions increasing after Redis lost its data, so live delivery goes on', async () => {
    const prefix = randomUUID();
    const store = open({ prefix });
    const received = collect(store);
    const before = await store.append(drafts(2, 'old'));
    await received.until(2);
    // FLUSHALL: as if Redis had restarted without persistence.
    expect(await redis.command('FLUSHALL')).toMatch(/^\+OK/);
    const after = await store.append(drafts(2, 'new'));
    expect(after[0]!.position).toBeGreaterThan(before[1]!.position);
    await received.until(4);
    expect(ids(received.events)).toEqual(ids([...before, ...after]));
    expect(await store.resolve(before[0]!.id)).toBeUndefined();
  });

  it('starts while Redis is unreachable, refusing with a reason, and connects when it comes', async () => {
    const store = open({ url: 'redis://127.0.0.1:1/0' });
    await waitUntil('the store reports a failure', () =>
      /ECONNREFUSED/.test(store.health().detail),
    );
    expect(store.health().ok).toBe(false);
    await expect(store.append(drafts(1, 'z'))).rejects.toThrow(/Redis store cannot write/);
    await expect(store.head()).rejects.toThrow(/Redis store cannot read/);
  });
});

describe('Redis store options', () => {
  it('refuses a prefix that would break its keys, saying why', () => {
    for (const prefix of ['', 'a}b', 'hall {1}', 'x'.repeat(101)]) {
      let error: unknown;
      try {
        createRedisStore({ url: redis.url(), prefix });
      } catch (caught) {
        error = caught;
      }
      expect(isAndonError(error, 'ANDON_INVALID_OPTION'), prefix).toBe(true);
      expect((error as Error).message).toMatch(/^Redis store "prefix" must be 1 to 100 letters/);
    }
  });
});
