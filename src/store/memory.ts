/**
 * The memory store: a bounded ring of the latest events of one process.
 * Positions are contiguous, so finding a position is arithmetic and
 * resolving an id is one Map lookup.
 */
import { type EventDraft, type StoredEvent, storeEvent } from '../engine/event.js';
import { AndonError } from '../errors.js';
import type { Store, StoreListener } from './store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many of the latest events are kept for replay. Default 1000.
   * `0` keeps none: every Last-Event-ID is then unknown, but live delivery works.
   */
  readonly capacity?: number;
}

/** Default number of events a memory store keeps: about a quarter hour of a 1 Hz stream. */
export const DEFAULT_MEMORY_CAPACITY = 1000;

class MemoryStore implements Store {
  readonly #capacity: number;
  readonly #ring: (StoredEvent | undefined)[];
  readonly #ids = new Map<string, number>();
  readonly #listeners = new Set<StoreListener>();
  /** Position of the oldest kept event (when any is kept). */
  #first = 1;
  /** Position of the newest event ever appended; 0 before the first. */
  #last = 0;
  /** The event evicted last: a client holding its id misses nothing, so it still resolves. */
  #boundary: { id: string; position: number } | undefined;
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#ring = new Array<StoredEvent | undefined>(capacity);
  }

  append(drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    if (this.#closed) return Promise.reject(closedError());
    let stored: StoredEvent[];
    try {
      stored = drafts.map((draft, i) => storeEvent(draft, this.#last + 1 + i));
    } catch (error) {
      return Promise.reject(error);
    }
    for (const event of stored) this.#keep(event);
    for (const listener of this.#listeners) {
      try {
        listener(stored);
      } catch (error) {
        // The events are kept: the publisher must not be told otherwise. A
        // throwing listener is a bug; surface it loudly, outside this call.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    return Promise.resolve(stored);
  }

  #keep(event: StoredEvent): void {
    this.#last = event.position;
    if (this.#capacity === 0) {
      this.#first = event.position + 1;
      this.#boundary = { id: event.id, position: event.position };
      return;
    }
    const slot = event.position % this.#capacity;
    const evicted = this.#ring[slot];
    if (evicted !== undefined) {
      if (this.#ids.get(evicted.id) === evicted.position) this.#ids.delete(evicted.id);
      this.#boundary = { id: evicted.id, position: evicted.position };
      this.#first = evicted.position + 1;
    }
    this.#ring[slot] = event;
    this.#ids.set(event.id, event.position);
  }

  readAfter(position: number, limit: number): Promise<StoredEvent[]> {
    if (this.#closed) return Promise.reject(closedError());
    const out: StoredEvent[] = [];
    const start = Math.max(position + 1, this.#first);
    for (let p = start; p <= this.#last && out.length < limit; p++) {
      const event = this.#ring[p % this.#capacity];
      if (event !== undefined) out.push(event);
    }
    return Promise.resolve(out);
  }

  resolve(id: string): Promise<number | undefined> {
    if (this.#closed) return Promise.reject(closedError());
    const position = this.#ids.get(id);
    if (position !== undefined) return Promise.resolve(position);
    if (this.#boundary?.id === id) return Promise.resolve(this.#boundary.position);
    return Promise.resolve(undefined);
  }

  watch(listener: StoreListener): () => void {
    if (this.#closed) throw closedError();
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#ids.clear();
    this.#ring.fill(undefined);
    return Promise.resolve();
  }
}

function closedError(): AndonError {
  return new AndonError('ANDON_CLOSED', 'The memory store is closed.');
}

/** Creates a memory store keeping the latest `capacity` events (default 1000). */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const capacity = options.capacity === undefined ? DEFAULT_MEMORY_CAPACITY : options.capacity;
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `Memory store "capacity" must be a non-negative integer; got ${String(capacity)}.`,
    );
  }
  return new MemoryStore(capacity) satisfies Store;
}
