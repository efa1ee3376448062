/**
 * Failover: a Redis primary, its replica and a Sentinel, all real. Two
 * stores follow the primary through the Sentinel, the publishing one
 * requiring each append to be confirmed by one replica (`WAIT`). The primary
 * is killed mid-stream; the Sentinel promotes the replica; the stores find it
 * by themselves. Every acknowledged append must then be in the new primary
 * and must have reached the other store's listener exactly once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRedis,
  startSentinel,
  type TestRedis,
  type TestSentinel,
} from '../../test/helpers/redis.js';
import type { StoredEvent } from '../engine/event.js';
import { isAndonError } from '../errors.js';
import { createRedisStore } from './redis.js';
import type { Store, StoreHealth } from './store.js';
import { readAfter } from './store.suite.js';

let primary: TestRedis;
let replica: TestRedis;
let sentinel: TestSentinel;
const stores: Store[] = [];

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  primary = await startRedis();
  replica = await startRedis({ replicaOf: primary.port });
  await waitUntil('the replica is in sync', async () =>
    /master_link_status:up/.test(await replica.command('INFO replication')),
  );
  sentinel = await startSentinel(primary.port, 'hall', 1_000);
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(stores.map((store) => store.close()));
  await sentinel?.destroy();
  await replica?.destroy();
  await primary?.destroy();
});

function open(replicas: number): Store & StoreHealth {
  const store = createRedisStore({
    url: `redis+sentinel://127.0.0.1:${sentinel.port}/hall/0`,
    prefix: 'failover',
    replicas,
    maxReconnectDelayMs: 200,
    blockMs: 1_000,
  });
  stores.push(store);
  return store;
}

describe('Redis store failover through Sentinel', () => {
  it('loses no acknowledged append and resumes delivery on the promoted replica', async () => {
    const publisher = open(1);
    const node = open(0);
    const received: StoredEvent[] = [];
    node.watch((events) => received.push(...events));
    await node.head();

    const acknowledged: StoredEvent[] = [];
    const refusals: string[] = [];
    let killed = false;
    let stop = false;
    let n = 0;
    const loop = (async () => {
      while (!stop) {
        const id = `e${++n}`;
        try {
          const [event] = await publisher.append([{ id, data: String(n), topics: ['t'] }]);
          acknowledged.push(event!);
        } catch (error) {
          expect(isAndonError(error, 'ANDON_STORE_UNAVAILABLE'), String(error)).toBe(true);
          refusals.push((error as Error).message);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();

    await waitUntil('50 appends are acknowledged', () => acknowledged.length >= 50);
    await primary.kill();
    killed = true;
    const before = acknowledged.length;
    await waitUntil('the Sentinel promotes the replica', async () =>
      (await sentinel.command('SENTINEL get-master-addr-by-name hall')).includes(
        String(replica.port),
      ),
    );
    // The new primary has no replica yet: nothing can be confirmed, so nothing is acknowledged.
    await waitUntil('appends are refused for want of a replica', () => {
      return refusals.some((r) => r.includes('0 of the 1 replica(s) required confirmed it'));
    });
    const acknowledgedWithoutReplica = acknowledged.length;
    // The old primary comes back as the new one's replica (the Sentinel would make it one
    // within ~10 s; saying so at once keeps the test short).
    await primary.start();
    expect(await primary.command(`REPLICAOF 127.0.0.1 ${replica.port}`)).toMatch(/^\+OK/);
    await waitUntil(
      'appends are acknowledged again after the failover',
      () => acknowledged.length >= before + 50,
      30_000,
    );
    stop = true;
    await loop;
    expect(killed).toBe(true);
    expect(acknowledgedWithoutReplica).toBe(before);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatch(/^The Redis store cannot write \(/);

    await waitUntil('the other node received every acknowledged append', () => {
      const ids = new Set(received.map((e) => e.id));
      return acknowledged.every((e) => ids.has(e.id));
    });
    const ids = received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < received.length; i++) {
      expect(received[i]!.position).toBeGreaterThan(received[i - 1]!.position);
    }
    const stored = new Set((await readAfter(node, 0, 100_000)).map((e) => e.id));
    for (const event of acknowledged) expect(stored.has(event.id), event.id).toBe(true);
    expect(publisher.health().ok).toBe(true);
    expect(node.health().ok).toBe(true);
  }, 90_000);
});
