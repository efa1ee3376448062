import { afterEach, describe, expect, it } from 'vitest';
import type { EventDraft, StoredEvent } from '../engine/event.js';
import { isAndonError } from '../errors.js';
import { createClusterStore } from './cluster.js';
import { hostStore, type StoreHost } from './cluster-host.js';
import type { ClusterChannel } from './cluster-wire.js';
import { createMemoryStore } from './memory.js';
import type { Store } from './store.js';
import { runStoreSuite } from './store.suite.js';

/** One end of a {@link channelPair}, with what was sent through it. */
interface TestChannel extends ClusterChannel {
  /** Messages sent from this end, as the other end received them. */
  readonly sent: unknown[];
}

/**
 * Two ends of a channel that behaves like node:cluster IPC: each message is
 * serialized to JSON (a Buffer would arrive as `{type, data}`, not a Buffer)
 * and delivered later, in order.
 */
function channelPair(): { primary: TestChannel; worker: TestChannel; close(): void } {
  const listeners = {
    primary: new Set<(m: unknown) => void>(),
    worker: new Set<(m: unknown) => void>(),
  };
  const closers = { primary: new Set<() => void>(), worker: new Set<() => void>() };
  let open = true;
  const end = (self: 'primary' | 'worker', other: 'primary' | 'worker'): TestChannel => {
    const sent: unknown[] = [];
    return {
      sent,
      send(message) {
        if (!open) return;
        const text = JSON.stringify(message);
        setImmediate(() => {
          if (!open) return;
          const received = JSON.parse(text) as unknown;
          sent.push(received);
          for (const listener of listeners[other]) listener(received);
        });
      },
      onMessage(listener) {
        listeners[self].add(listener);
        return () => listeners[self].delete(listener);
      },
      onClose(listener) {
        closers[self].add(listener);
        return () => closers[self].delete(listener);
      },
    };
  };
  return {
    primary: end('primary', 'worker'),
    worker: end('worker', 'primary'),
    close() {
      open = false;
      for (const listener of [...closers.primary, ...closers.worker]) listener();
    },
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A primary with a memory store and `workers` cluster stores attached to it over JSON channels. */
function cluster(workers: number, capacity = 1000, maxAgeMs = 0) {
  const memory = createMemoryStore({ capacity, maxAgeMs });
  const host = hostStore(memory);
  const pairs = Array.from({ length: workers }, () => channelPair());
  const stores = pairs.map((pair) => {
    host.attach(pair.primary);
    return createClusterStore(pair.worker, { primary: 'test primary' });
  });
  cleanups.push(async () => {
    for (const store of stores) await store.close();
    host.close();
    await memory.close();
  });
  return { memory, host, pairs, stores };
}

runStoreSuite('cluster (memory behind JSON IPC)', (retention) => {
  const { stores } = cluster(1, retention?.maxEvents ?? 1000, retention?.maxAgeMs ?? 0);
  return stores[0]!;
});

function drafts(count: number, prefix: string): EventDraft[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i + 1}`,
    data: `${prefix} ${i + 1}`,
    topics: [`t/${i % 3}`],
  }));
}

function recorder(store: Store): StoredEvent[] {
  const received: StoredEvent[] = [];
  store.watch((events) => received.push(...events));
  return received;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function ids(events: readonly { id: string }[]): string[] {
  return events.map((event) => event.id);
}

describe('cluster store across workers', () => {
  it('gives every worker every event once, in position order, whoever appended it', async () => {
    const { memory, stores } = cluster(3);
    const seen = stores.map(recorder);
    const fromPrimary = recorder(memory);
    const appends = [
      ...stores.map((store, i) => store.append(drafts(4, `w${i}`))),
      memory.append(drafts(2, 'primary')),
      stores[0]!.append(drafts(1, 'late')),
    ];
    await Promise.all(appends);
    const total = 3 * 4 + 2 + 1;
    await until(() => seen.every((events) => events.length >= total), 'every worker to see all');
    for (const events of seen) {
      expect(ids(events)).toEqual(ids(fromPrimary));
      const positions = events.map((event) => event.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(total);
    }
  });

  it('sends one message per tick each way, however many events and calls it carries', async () => {
    const { memory, pairs, stores } = cluster(2);
    const [a, b] = [stores[0]!, stores[1]!];
    const seenByB = recorder(b);
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => a.append([{ id: `x${i}`, data: 'x', topics: [] }])),
      a.head(),
      a.resolve('x1'),
    ]);
    // 52 calls in one tick: one message to the primary; one message back to each worker.
    expect(pairs[0]!.worker.sent).toHaveLength(1);
    await until(() => seenByB.length === 50, 'worker b to see the 50 events');
    expect(pairs[0]!.primary.sent).toHaveLength(1);
    expect(pairs[1]!.primary.sent).toHaveLength(1);
    await memory.append(drafts(20, 'p'));
    await until(() => seenByB.length === 70, 'the primary\u2019s 20 events');
    expect(pairs[1]!.primary.sent).toHaveLength(2);
  });

  it('refers to an appender\u2019s own events by position instead of sending them twice', async () => {
    const { pairs, stores } = cluster(1);
    const [stored] = await stores[0]!.append(drafts(1, 'once'));
    const message = pairs[0]!.primary.sent[0] as {
      events: unknown[];
      replies: { value: unknown }[];
    };
    expect(message.events).toHaveLength(1);
    expect(message.replies[0]!.value).toEqual([stored!.position]);
    expect(Buffer.isBuffer(stored!.bytes)).toBe(true);
  });

  it('shares one round trip among identical reads in flight (a reconnect storm)', async () => {
    const { pairs, stores } = cluster(1);
    const store = stores[0]!;
    const stored = await store.append(drafts(10, 'h'));
    const before = pairs[0]!.worker.sent.length;
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        store.resolve(stored[2]!.id).then((position) => store.read(position!, { limit: 100 })),
      ),
    );
    // One message for the 1000 resolves, one for the 1000 reads.
    expect(pairs[0]!.worker.sent.length - before).toBe(2);
    const calls = pairs[0]!.worker.sent.slice(before) as { calls: unknown[] }[];
    expect(calls.map((message) => message.calls.length)).toEqual([1, 1]);
    for (const page of results) expect(ids(page.events)).toEqual(ids(stored.slice(3)));
    // Each caller owns its page.
    expect(results[0]!.events).not.toBe(results[1]!.events);
  });

  it('filters in the worker, over pages fetched unfiltered', async () => {
    const { stores } = cluster(1, 5000);
    const store = stores[0]!;
    const stored: StoredEvent[] = [];
    for (let i = 0; i < 3; i++) stored.push(...(await store.append(drafts(1000, `f${i}`))));
    const rare = stored.filter((_, i) => i % 997 === 0);
    const filter = (event: StoredEvent) => rare.some((r) => r.position === event.position);
    const page = await store.read(0, { limit: 2, filter });
    expect(ids(page.events)).toEqual(ids(rare.slice(0, 2)));
    expect(page.end).toBe(false);
    const rest = await store.read(page.through, { limit: 10, filter });
    expect(ids(rest.events)).toEqual(ids(rare.slice(2)));
    expect(rest).toMatchObject({ end: true, through: stored[2999]!.position, gap: false });
  });

  it('fails calls with ANDON_STORE_UNAVAILABLE once the primary is gone, and says so in health', async () => {
    const { pairs, stores } = cluster(1);
    const store = stores[0]! as Store & { health(): { ok: boolean; detail: string } };
    expect(store.health()).toMatchObject({ ok: true });
    const inFlight = store.append(drafts(1, 'lost'));
    pairs[0]!.close();
    let error: unknown;
    await inFlight.catch((caught: unknown) => {
      error = caught;
    });
    expect(isAndonError(error, 'ANDON_STORE_UNAVAILABLE')).toBe(true);
    await expect(store.head()).rejects.toMatchObject({ code: 'ANDON_STORE_UNAVAILABLE' });
    expect(store.health()).toMatchObject({ ok: false });
  });

  it('fails a call the primary never answers after the timeout', async () => {
    const pair = channelPair();
    const store = createClusterStore(pair.worker, { timeoutMs: 50 });
    cleanups.push(() => store.close());
    await expect(store.head()).rejects.toMatchObject({ code: 'ANDON_STORE_UNAVAILABLE' });
  });

  it('stops sending to a worker whose channel closed, and keeps serving the others', async () => {
    const { memory, host, pairs, stores } = cluster(2);
    const seen = recorder(stores[1]!);
    pairs[0]!.close();
    expect(host.size).toBe(1);
    await memory.append(drafts(2, 'after'));
    await until(() => seen.length === 2, 'the remaining worker to see the events');
  });
});

describe('cluster store host', () => {
  it('sends what is due when closed, then nothing', async () => {
    const memory = createMemoryStore();
    const host: StoreHost = hostStore(memory);
    const pair = channelPair();
    host.attach(pair.primary);
    const store = createClusterStore(pair.worker);
    const seen = recorder(store);
    await memory.append(drafts(1, 'last'));
    host.close();
    await until(() => seen.length === 1, 'the event appended before close');
    await memory.append(drafts(1, 'unsent'));
    // Deliveries take one turn each: after a few, anything sent would have arrived.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1);
    await store.close();
    await memory.close();
  });
});
