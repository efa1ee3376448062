import { describe, expect, it } from 'vitest';
import type { EventDraft, StoredEvent } from '../engine/event.js';
import { isAndonError } from '../errors.js';
import { createMemoryStore, DEFAULT_MEMORY_CAPACITY, type MemoryStoreOptions } from './memory.js';
import { readAfter, runStoreSuite } from './store.suite.js';

runStoreSuite('memory', (retention) =>
  createMemoryStore(
    retention === undefined
      ? {}
      : { capacity: retention.maxEvents ?? 1000, maxAgeMs: retention.maxAgeMs ?? 0 },
  ),
);

function drafts(count: number, prefix = 'e'): EventDraft[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    data: String(i + 1),
    topics: [],
  }));
}

function ids(events: readonly StoredEvent[]): string[] {
  return events.map((event) => event.id);
}

describe('memory store capacity', () => {
  it('keeps only the latest `capacity` events', async () => {
    const store = createMemoryStore({ capacity: 3 });
    await store.append(drafts(5));
    expect(ids(await readAfter(store, 0, 100))).toEqual(['e3', 'e4', 'e5']);
    await store.close();
  });

  it('forgets evicted ids, except the one evicted last', async () => {
    const store = createMemoryStore({ capacity: 3 });
    const stored = await store.append(drafts(5));
    expect(await store.resolve('e1')).toBeUndefined();
    // A client holding e2 has seen everything up to the oldest kept event: it misses nothing.
    expect(await store.resolve('e2')).toBe(stored[1]!.position);
    expect(ids(await readAfter(store, stored[1]!.position, 100))).toEqual(['e3', 'e4', 'e5']);
    for (const event of stored.slice(2)) expect(await store.resolve(event.id)).toBe(event.position);
    await store.close();
  });

  it('moves the boundary as more events are evicted', async () => {
    const store = createMemoryStore({ capacity: 2 });
    await store.append(drafts(3));
    expect(await store.resolve('e1')).toBeDefined();
    await store.append(drafts(1, 'later'));
    expect(await store.resolve('e1')).toBeUndefined();
    expect(await store.resolve('e2')).toBeDefined();
    expect(ids(await readAfter(store, 0, 100))).toEqual(['e3', 'later1']);
    await store.close();
  });

  it('evicts within one batch larger than the capacity', async () => {
    const store = createMemoryStore({ capacity: 2 });
    const stored = await store.append(drafts(5));
    expect(ids(stored)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(ids(await readAfter(store, 0, 100))).toEqual(['e4', 'e5']);
    expect(await store.resolve('e2')).toBeUndefined();
    expect(await store.resolve('e3')).toBe(stored[2]!.position);
    await store.close();
  });

  it('reads after an evicted position from the oldest kept event', async () => {
    const store = createMemoryStore({ capacity: 2 });
    const stored = await store.append(drafts(5));
    expect(ids(await readAfter(store, stored[0]!.position, 100))).toEqual(['e4', 'e5']);
    await store.close();
  });

  it('keeps resolving a reused id to its newer event when the older one is evicted', async () => {
    const store = createMemoryStore({ capacity: 2 });
    await store.append([{ id: 'same', data: 'old', topics: [] }]);
    const [newer] = await store.append([{ id: 'same', data: 'new', topics: [] }]);
    await store.append(drafts(1));
    expect(await store.resolve('same')).toBe(newer!.position);
    await store.close();
  });

  it(`keeps ${DEFAULT_MEMORY_CAPACITY} events by default`, async () => {
    const store = createMemoryStore();
    await store.append(drafts(DEFAULT_MEMORY_CAPACITY + 1));
    const kept = await readAfter(store, 0, DEFAULT_MEMORY_CAPACITY + 10);
    expect(kept.length).toBe(DEFAULT_MEMORY_CAPACITY);
    expect(kept[0]!.id).toBe('e2');
    await store.close();
  });

  it('works with capacity 0: live delivery, no replay', async () => {
    const store = createMemoryStore({ capacity: 0 });
    const delivered: StoredEvent[] = [];
    store.watch((events) => delivered.push(...events));
    const stored = await store.append(drafts(3));
    expect(stored.map((event) => event.position)).toEqual([1, 2, 3]);
    expect(ids(delivered)).toEqual(['e1', 'e2', 'e3']);
    expect(await readAfter(store, 0, 100)).toEqual([]);
    expect(await store.resolve('e1')).toBeUndefined();
    expect(await store.resolve('e2')).toBeUndefined();
    // The newest event is also the one evicted last: its holder misses nothing.
    expect(await store.resolve('e3')).toBe(stored[2]!.position);
    expect(await readAfter(store, stored[2]!.position, 100)).toEqual([]);
    await store.close();
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null])(
    'refuses capacity %s with ANDON_INVALID_OPTION',
    (capacity) => {
      const options = { capacity } as unknown as MemoryStoreOptions;
      let error: unknown;
      try {
        createMemoryStore(options);
      } catch (caught) {
        error = caught;
      }
      expect(isAndonError(error, 'ANDON_INVALID_OPTION')).toBe(true);
      expect((error as Error).message).toContain('capacity');
    },
  );

  it('refuses a watcher once closed', async () => {
    const store = createMemoryStore();
    await store.close();
    expect(() => store.watch(() => {})).toThrowError(/closed/);
  });

  it('answers an append as kept even when a listener throws, and rethrows outside it', async () => {
    const store = createMemoryStore();
    const thrown = new Promise<unknown>((resolve) => {
      process.once('uncaughtException', resolve);
    });
    store.watch(() => {
      throw new Error('listener bug');
    });
    const stored = await store.append([{ id: 'a', data: 'x', topics: [] }]);
    expect(stored).toHaveLength(1);
    expect(await store.resolve('a')).toBe(stored[0]!.position);
    expect(String(await thrown)).toContain('listener bug');
  });
});
