/**
 * The shared suite of the store seam: every {@link Store} implementation runs
 * it with one call, and a new store is done when it passes.
 *
 * It assumes only what `store.ts` promises. Positions are compared by order,
 * never by value (a store may leave gaps), and listeners are awaited with a
 * timeout rather than assumed synchronous (a shared store may deliver them
 * later, from another connection). `create` must give a fresh, empty store
 * that keeps at least the 20 latest events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventDraft, StoredEvent } from '../engine/event.js';
import { type AndonErrorCode, isAndonError } from '../errors.js';
import { encodeEvent } from '../sse/encoder.js';
import type { RetentionPolicy, Store } from './store.js';

/** How long a listener may take to see an appended event before the test fails. */
const DELIVERY_TIMEOUT_MS = 5_000;

/** Records what a listener receives and lets a test wait for a given count. */
class Recorder {
  readonly batches: (readonly StoredEvent[])[] = [];
  readonly #waiters: { count: number; done: () => void }[] = [];

  readonly listener = (events: readonly StoredEvent[]): void => {
    this.batches.push(events);
    const total = this.events.length;
    for (const waiter of [...this.#waiters]) {
      if (total >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.done();
      }
    }
  };

  get events(): StoredEvent[] {
    return this.batches.flat();
  }

  /** Resolves once `count` events have arrived in all; rejects loudly after a timeout. */
  waitFor(count: number): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `listener received ${this.events.length} events, expected ${count} ` +
              `within ${DELIVERY_TIMEOUT_MS} ms`,
          ),
        );
      }, DELIVERY_TIMEOUT_MS);
      this.#waiters.push({
        count,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

async function expectRejection(promise: Promise<unknown>, code: AndonErrorCode): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(isAndonError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

/** The events of one unfiltered page: the seam's simplest read. */
export async function readAfter(
  store: Store,
  after: number,
  limit: number,
): Promise<StoredEvent[]> {
  return (await store.read(after, { limit })).events;
}

function positions(events: readonly StoredEvent[]): number[] {
  return events.map((event) => event.position);
}

function ids(events: readonly { readonly id: string }[]): string[] {
  return events.map((event) => event.id);
}

function expectStrictlyIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) {
    expect(values[i]!, `position ${i} after ${values[i - 1]}`).toBeGreaterThan(values[i - 1]!);
  }
}

/** The fields of a stored event, without what the store added. */
function draftOf(event: StoredEvent): EventDraft {
  const { position: _position, bytes: _bytes, time: _time, ...draft } = event;
  return draft;
}

/**
 * Runs the store contract against the stores `create` makes, one fresh store
 * per test, closed after it.
 */
export function runStoreSuite(
  name: string,
  create: (retention?: Partial<RetentionPolicy>) => Promise<Store> | Store,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let closed: boolean;
    let serial = 0;

    /** A valid draft with a unique id. */
    function draft(overrides: Partial<EventDraft> = {}): EventDraft {
      serial += 1;
      return { id: `${name}-${serial}`, data: `payload ${serial}`, topics: [], ...overrides };
    }

    function drafts(count: number): EventDraft[] {
      return Array.from({ length: count }, () => draft());
    }

    beforeEach(async () => {
      store = await create();
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
    });

    describe('append', () => {
      it('assigns strictly increasing positions, in the given order', async () => {
        const batch = drafts(5);
        const stored = await store.append(batch);
        expect(ids(stored)).toEqual(ids(batch));
        expectStrictlyIncreasing(positions(stored));
        for (const event of stored) expect(event.position).toBeGreaterThan(0);
      });

      it('keeps increasing across appends', async () => {
        const first = await store.append(drafts(3));
        const second = await store.append([draft()]);
        const third = await store.append(drafts(2));
        expectStrictlyIncreasing(positions([...first, ...second, ...third]));
      });

      it('keeps the order of concurrent appends consistent with their positions', async () => {
        const [a, b, c] = await Promise.all([
          store.append(drafts(2)),
          store.append(drafts(2)),
          store.append(drafts(2)),
        ]);
        const all = [...a!, ...b!, ...c!].sort((x, y) => x.position - y.position);
        expect(new Set(positions(all)).size).toBe(6);
        expect(ids(await readAfter(store, 0, 100))).toEqual(ids(all));
      });

      it('resolves an empty batch to no events', async () => {
        expect(await store.append([])).toEqual([]);
        expect(await readAfter(store, 0, 10)).toEqual([]);
      });

      it('keeps every field of the draft', async () => {
        const full = draft({
          type: 'update',
          data: 'line one\nline two ✓ 😀',
          retry: 1500,
          topics: ['https://example.com/a', 'b'],
          key: 'machine-7',
          private: true,
        });
        const bare = draft({ data: '' });
        const stored = await store.append([full, bare]);
        expect(stored.map(draftOf)).toEqual([full, bare]);
        expect((await readAfter(store, 0, 10)).map(draftOf)).toEqual([full, bare]);
      });

      it('gives each event the bytes encodeEvent makes of its fields', async () => {
        const batch = [
          draft(),
          draft({ type: 'tick', retry: 10, data: 'a\r\nb' }),
          draft({ data: ' ünïcode 🚦' }),
        ];
        const recorder = new Recorder();
        store.watch(recorder.listener);
        const stored = await store.append(batch);
        await recorder.waitFor(batch.length);
        const read = await readAfter(store, 0, 10);
        for (const event of [...stored, ...read, ...recorder.events]) {
          const expected = encodeEvent({
            id: event.id,
            event: event.type,
            data: event.data,
            retry: event.retry,
          });
          expect(Buffer.isBuffer(event.bytes)).toBe(true);
          expect(event.bytes.equals(expected), `bytes of ${event.id}`).toBe(true);
        }
      });

      it.each([
        ['a type containing LF', { type: 'a\nb' }, 'ANDON_INVALID_FIELD'],
        ['an id containing CR', { id: 'a\rb' }, 'ANDON_INVALID_FIELD'],
        ['an id containing NUL', { id: 'a\0b' }, 'ANDON_INVALID_FIELD'],
        ['a negative retry', { retry: -1 }, 'ANDON_INVALID_RETRY'],
        ['non-string data', { data: 42 as unknown as string }, 'ANDON_INVALID_DATA'],
      ] as const)('rejects a batch with %s and keeps none of it', async (_, bad, code) => {
        const before = await store.append([draft()]);
        const recorder = new Recorder();
        store.watch(recorder.listener);
        const good = draft();
        await expectRejection(store.append([good, draft(bad), draft()]), code);

        expect(ids(await readAfter(store, 0, 100))).toEqual(ids(before));
        expect(await store.resolve(good.id)).toBeUndefined();

        // The store still works, and the listener sees only the later event.
        const after = await store.append([draft()]);
        await recorder.waitFor(1);
        expect(ids(recorder.events)).toEqual(ids(after));
        expect(ids(await readAfter(store, 0, 100))).toEqual(ids([...before, ...after]));
      });
    });

    describe('readAfter', () => {
      it('reads from the oldest event at position 0', async () => {
        const stored = await store.append(drafts(4));
        expect(await readAfter(store, 0, 100)).toEqual(stored);
      });

      it('gives events after the position, ascending', async () => {
        const stored = await store.append(drafts(6));
        for (let i = 0; i < stored.length; i++) {
          const read = await readAfter(store, stored[i]!.position, 100);
          expect(ids(read)).toEqual(ids(stored.slice(i + 1)));
        }
      });

      it('gives at most `limit` events, the earliest first', async () => {
        const stored = await store.append(drafts(6));
        expect(ids(await readAfter(store, 0, 2))).toEqual(ids(stored.slice(0, 2)));
        expect(ids(await readAfter(store, stored[1]!.position, 3))).toEqual(
          ids(stored.slice(2, 5)),
        );
        expect(await readAfter(store, 0, 0)).toEqual([]);
      });

      it('pages through everything with no gap and no duplicate', async () => {
        const stored = await store.append(drafts(7));
        const read: StoredEvent[] = [];
        let position = 0;
        // Bounded, so a store that reads the same page again fails instead of looping.
        for (let pages = 0; pages <= stored.length; pages++) {
          const page = await readAfter(store, position, 3);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(3);
          expect(page[0]!.position).toBeGreaterThan(position);
          read.push(...page);
          position = page[page.length - 1]!.position;
        }
        expect(ids(read)).toEqual(ids(stored));
      });

      it('gives nothing after the newest event, or from an empty store', async () => {
        expect(await readAfter(store, 0, 10)).toEqual([]);
        const stored = await store.append(drafts(2));
        expect(await readAfter(store, stored[1]!.position, 10)).toEqual([]);
      });
    });

    describe('resolve', () => {
      it('gives the position of each kept id', async () => {
        const stored = await store.append(drafts(3));
        for (const event of stored) expect(await store.resolve(event.id)).toBe(event.position);
      });

      it('gives undefined for an id never seen', async () => {
        await store.append(drafts(2));
        expect(await store.resolve('never-seen')).toBeUndefined();
        expect(await store.resolve('')).toBeUndefined();
      });

      it('gives a position that readAfter continues from', async () => {
        const stored = await store.append(drafts(5));
        const position = await store.resolve(stored[2]!.id);
        expect(ids(await readAfter(store, position!, 100))).toEqual(ids(stored.slice(3)));
      });
    });

    describe('watch', () => {
      it('delivers appended events once each, in position order', async () => {
        const recorder = new Recorder();
        store.watch(recorder.listener);
        const stored = [
          ...(await store.append(drafts(3))),
          ...(await store.append([draft()])),
          ...(await store.append(drafts(2))),
        ];
        await recorder.waitFor(stored.length);
        expect(ids(recorder.events)).toEqual(ids(stored));
        expect(positions(recorder.events)).toEqual(positions(stored));

        // A duplicate would arrive before a later event: append one and wait for it.
        const sentinel = await store.append([draft()]);
        await recorder.waitFor(stored.length + 1);
        expect(ids(recorder.events)).toEqual(ids([...stored, ...sentinel]));
      });

      it('delivers events that are already readable with readAfter', async () => {
        const first = await store.append([draft()]);
        const reads: Promise<{ delivered: string[]; read: StoredEvent[] }>[] = [];
        const recorder = new Recorder();
        store.watch((events) => {
          recorder.listener(events);
          reads.push(
            readAfter(store, first[0]!.position, 100).then((read) => ({
              delivered: ids(events),
              read,
            })),
          );
        });
        const stored = [...(await store.append(drafts(2))), ...(await store.append([draft()]))];
        await recorder.waitFor(stored.length);
        for (const { delivered, read } of await Promise.all(reads)) {
          const readable = ids(read);
          for (const id of delivered) expect(readable).toContain(id);
        }
      });

      it('delivers to every listener', async () => {
        const a = new Recorder();
        const b = new Recorder();
        store.watch(a.listener);
        store.watch(b.listener);
        const stored = await store.append(drafts(2));
        await Promise.all([a.waitFor(2), b.waitFor(2)]);
        expect(ids(a.events)).toEqual(ids(stored));
        expect(ids(b.events)).toEqual(ids(stored));
      });

      it('does not deliver events appended before the listener was added', async () => {
        await store.append(drafts(2));
        const recorder = new Recorder();
        store.watch(recorder.listener);
        const later = await store.append([draft()]);
        await recorder.waitFor(1);
        expect(ids(recorder.events)).toEqual(ids(later));
      });

      it('stops delivering once unwatched', async () => {
        const gone = new Recorder();
        const kept = new Recorder();
        const unwatch = store.watch(gone.listener);
        store.watch(kept.listener);
        const first = await store.append([draft()]);
        await Promise.all([gone.waitFor(1), kept.waitFor(1)]);

        unwatch();
        const second = await store.append(drafts(2));
        await kept.waitFor(3);
        expect(ids(kept.events)).toEqual(ids([...first, ...second]));
        expect(ids(gone.events)).toEqual(ids(first));
      });
    });

    describe('read with a filter', () => {
      it('returns only accepted events and says how far it scanned', async () => {
        const stored = await store.append([
          draft({ topics: ['a'] }),
          draft({ topics: ['b'] }),
          draft({ topics: ['a'] }),
          draft({ topics: ['b'] }),
        ]);
        const onlyA = (e: StoredEvent) => e.topics[0] === 'a';
        const page = await store.read(0, { limit: 10, filter: onlyA });
        expect(ids(page.events)).toEqual(ids([stored[0]!, stored[2]!]));
        expect(page.end).toBe(true);
        expect(page.gap).toBe(false);
        expect(page.through).toBe(stored[3]!.position);
        const first = await store.read(0, { limit: 1, filter: onlyA });
        expect(ids(first.events)).toEqual([stored[0]!.id]);
        expect(first.end).toBe(false);
        const rest = await store.read(first.through, { limit: 10, filter: onlyA });
        expect(ids(rest.events)).toEqual([stored[2]!.id]);
      });

      it('reports the end on an empty store and past the newest event', async () => {
        expect(await store.read(0, { limit: 5 })).toMatchObject({
          events: [],
          end: true,
          gap: false,
        });
        const stored = await store.append(drafts(2));
        const page = await store.read(stored[1]!.position, { limit: 5 });
        expect(page).toMatchObject({ events: [], end: true, through: stored[1]!.position });
      });
    });

    describe('head', () => {
      it('is undefined when empty, then the newest event', async () => {
        expect(await store.head()).toBeUndefined();
        const stored = await store.append(drafts(3));
        expect(await store.head()).toEqual({ position: stored[2]!.position, id: stored[2]!.id });
      });
    });

    describe('latest (retained state)', () => {
      it('keeps the latest event of each canonical topic, ascending, with the head position', async () => {
        const stored = await store.append([
          draft({ topics: ['t1'], data: 'old 1' }),
          draft({ topics: ['t2', 'alt'], data: 'only 2' }),
          draft({ topics: ['t1'], data: 'new 1' }),
          draft({ topics: ['t3'], data: 'only 3' }),
        ]);
        const snapshot = await store.latest();
        expect(snapshot.events.map((e) => e.data)).toEqual(['only 2', 'new 1', 'only 3']);
        expect(snapshot.through).toBe(stored[3]!.position);
        const filtered = await store.latest((e) => e.topics[0] !== 't3');
        expect(filtered.events.map((e) => e.data)).toEqual(['only 2', 'new 1']);
        expect(filtered.events[0]!.bytes).toEqual(stored[1]!.bytes);
      });

      it('is empty on an empty store', async () => {
        expect(await store.latest()).toEqual({ events: [], through: 0 });
      });
    });

    describe('retention', () => {
      it('prunes by count, keeps retained state, and still resolves the newest pruned id', async () => {
        await store.close();
        store = await create({ maxEvents: 5, maxAgeMs: 0 });
        const stored: StoredEvent[] = [];
        for (let i = 0; i < 10; i++)
          stored.push(...(await store.append([draft({ topics: [`t${i % 7}`] })])));
        await store.prune();
        expect(ids(await readAfter(store, 0, 100))).toEqual(ids(stored.slice(5)));
        expect(await store.resolve(stored[0]!.id)).toBeUndefined();
        expect(await store.resolve(stored[3]!.id)).toBeUndefined();
        // A client holding the newest pruned id misses nothing: it still resolves, without a gap.
        const boundary = await store.resolve(stored[4]!.id);
        expect(boundary).toBe(stored[4]!.position);
        expect((await store.read(boundary!, { limit: 10 })).gap).toBe(false);
        // From further back, the read announces the gap.
        expect((await store.read(stored[1]!.position, { limit: 10 })).gap).toBe(true);
        const latest = await store.latest();
        expect(latest.events.map((e) => e.topics[0]).sort()).toEqual([
          't0',
          't1',
          't2',
          't3',
          't4',
          't5',
          't6',
        ]);
      });

      it('prunes by age, keeping retained state', async () => {
        await store.close();
        store = await create({ maxEvents: 1000, maxAgeMs: 60_000 });
        const stored = await store.append(drafts(4));
        expect(await store.prune(Date.now() + 10_000)).toBe(0);
        expect(ids(await readAfter(store, 0, 10))).toEqual(ids(stored));
        expect(await store.prune(Date.now() + 120_000)).toBe(4);
        expect(await readAfter(store, 0, 10)).toEqual([]);
        expect((await store.latest()).events).toHaveLength(1);
        const [next] = await store.append([draft()]);
        expect(next!.position).toBeGreaterThan(stored[3]!.position);
      });
    });

    describe('close', () => {
      it('makes every further call reject with ANDON_CLOSED', async () => {
        const stored = await store.append([draft()]);
        await store.close();
        closed = true;
        await expectRejection(store.append([draft()]), 'ANDON_CLOSED');
        await expectRejection(readAfter(store, 0, 10), 'ANDON_CLOSED');
        await expectRejection(store.resolve(stored[0]!.id), 'ANDON_CLOSED');
      });

      it('rejects rather than throws', async () => {
        await store.close();
        closed = true;
        const calls = [
          () => store.append([draft()]),
          () => readAfter(store, 0, 1),
          () => store.resolve('x'),
        ];
        for (const call of calls) {
          let promise: Promise<unknown> | undefined;
          expect(() => {
            promise = call();
          }).not.toThrow();
          await expectRejection(promise!, 'ANDON_CLOSED');
        }
      });
    });
  });
}
