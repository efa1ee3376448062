/**
 * The memory store: a bounded ring of the latest events of one process, and
 * the latest event of each topic. Positions are contiguous, so finding a
 * position is arithmetic and resolving an id is one Map lookup.
 */

import { type EventDraft, retainKey, type StoredEvent, storeEvent } from '../engine/event.js';
import { AndonError } from '../errors.js';
import { notifyListeners } from './listeners.js';
import { DEFAULT_MAX_RETAINED_TOPICS } from './retention.js';
import type {
  ReadOptions,
  ReadPage,
  RetainedSnapshot,
  Store,
  StoreFilter,
  StoreHead,
  StoreListener,
} from './store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many of the latest events are kept for replay. Default 1000.
   * `0` keeps none: every Last-Event-ID is then unknown, but live delivery works.
   */
  readonly capacity?: number;
  /** Events older than this many ms are dropped from replay. Default 0: any age. */
  readonly maxAgeMs?: number;
  /** Most topics whose latest event is retained; the least recently updated go first. Default 100,000. */
  readonly maxRetainedTopics?: number;
}

/** Default number of events a memory store keeps: about a quarter hour of a 1 Hz stream. */
export const DEFAULT_MEMORY_CAPACITY = 1000;

class MemoryStore implements Store {
  readonly #capacity: number;
  readonly #maxAgeMs: number;
  readonly #maxRetained: number;
  readonly #ring: (StoredEvent | undefined)[];
  readonly #ids = new Map<string, number>();
  readonly #latest = new Map<string, StoredEvent>();
  readonly #listeners = new Set<StoreListener>();
  /** Position of the oldest kept event (when any is kept). */
  #first = 1;
  /** Position of the newest event ever appended; 0 before the first. */
  #last = 0;
  #lastId = '';
  /** The event evicted last: a client holding its id misses nothing, so it still resolves. */
  #boundary: { id: string; position: number } | undefined;
  #closed = false;

  constructor(capacity: number, maxAgeMs: number, maxRetained: number) {
    this.#capacity = capacity;
    this.#maxAgeMs = maxAgeMs;
    this.#maxRetained = maxRetained;
    this.#ring = new Array<StoredEvent | undefined>(capacity);
  }

  append(drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    if (this.#closed) return Promise.reject(closedError());
    let stored: StoredEvent[];
    const now = Date.now();
    try {
      stored = drafts.map((draft, i) => storeEvent(draft, this.#last + 1 + i, now));
    } catch (error) {
      return Promise.reject(error);
    }
    for (const event of stored) this.#keep(event);
    if (this.#maxAgeMs > 0) this.#dropOlderThan(now - this.#maxAgeMs);
    // The events are kept whatever a listener does: the publisher is told so.
    notifyListeners(this.#listeners, stored);
    return Promise.resolve(stored);
  }

  #keep(event: StoredEvent): void {
    this.#last = event.position;
    this.#lastId = event.id;
    const key = retainKey(event);
    this.#latest.delete(key);
    this.#latest.set(key, event);
    if (this.#latest.size > this.#maxRetained) {
      const oldest = this.#latest.keys().next().value;
      if (oldest !== undefined) this.#latest.delete(oldest);
    }
    if (this.#capacity === 0) {
      this.#first = event.position + 1;
      this.#boundary = { id: event.id, position: event.position };
      return;
    }
    const slot = event.position % this.#capacity;
    const evicted = this.#ring[slot];
    if (evicted !== undefined) this.#evict(evicted, slot);
    this.#ring[slot] = event;
    this.#ids.set(event.id, event.position);
  }

  #evict(event: StoredEvent, slot: number): void {
    if (this.#ids.get(event.id) === event.position) this.#ids.delete(event.id);
    this.#boundary = { id: event.id, position: event.position };
    this.#first = event.position + 1;
    this.#ring[slot] = undefined;
  }

  #dropOlderThan(cutoff: number): number {
    let removed = 0;
    while (this.#first <= this.#last && this.#capacity > 0) {
      const slot = this.#first % this.#capacity;
      const event = this.#ring[slot];
      if (event === undefined || event.time >= cutoff) break;
      this.#evict(event, slot);
      removed++;
    }
    return removed;
  }

  read(after: number, options: ReadOptions): Promise<ReadPage> {
    if (this.#closed) return Promise.reject(closedError());
    const events: StoredEvent[] = [];
    const filter = options.filter;
    if (options.limit <= 0)
      return Promise.resolve({ events, through: after, end: after >= this.#last, gap: false });
    // Positions before the oldest kept event are gone: scanning starts past them.
    const gap = this.#first - 1 > after;
    let through = Math.max(after, this.#first - 1);
    for (let p = through + 1; p <= this.#last; p++) {
      const event = this.#ring[p % this.#capacity];
      through = p;
      if (event !== undefined && (filter === undefined || filter(event))) {
        events.push(event);
        if (events.length >= options.limit) break;
      }
    }
    return Promise.resolve({ events, through, end: through >= this.#last, gap });
  }

  resolve(id: string): Promise<number | undefined> {
    if (this.#closed) return Promise.reject(closedError());
    const position = this.#ids.get(id);
    if (position !== undefined) return Promise.resolve(position);
    if (this.#boundary?.id === id) return Promise.resolve(this.#boundary.position);
    return Promise.resolve(undefined);
  }

  latest(filter?: StoreFilter): Promise<RetainedSnapshot> {
    if (this.#closed) return Promise.reject(closedError());
    const events = [...this.#latest.values()].filter((e) => filter === undefined || filter(e));
    events.sort((a, b) => a.position - b.position);
    return Promise.resolve({ events, through: this.#last });
  }

  head(): Promise<StoreHead | undefined> {
    if (this.#closed) return Promise.reject(closedError());
    return Promise.resolve(
      this.#last === 0 ? undefined : { position: this.#last, id: this.#lastId },
    );
  }

  prune(now: number = Date.now()): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    return Promise.resolve(this.#maxAgeMs > 0 ? this.#dropOlderThan(now - this.#maxAgeMs) : 0);
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
    this.#latest.clear();
    this.#ring.fill(undefined);
    return Promise.resolve();
  }
}

function closedError(): AndonError {
  return new AndonError('ANDON_CLOSED', 'The memory store is closed.');
}

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `Memory store "${name}" must be an integer of at least ${min}; got ${String(value)}.`,
    );
  }
  return value;
}

/** Creates a memory store keeping the latest `capacity` events (default 1000). */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const capacity = checkCount(
    'capacity',
    options.capacity === undefined ? DEFAULT_MEMORY_CAPACITY : options.capacity,
    0,
  );
  const maxAgeMs = checkCount('maxAgeMs', options.maxAgeMs ?? 0, 0);
  const maxRetained = checkCount(
    'maxRetainedTopics',
    options.maxRetainedTopics ?? DEFAULT_MAX_RETAINED_TOPICS,
    1,
  );
  return new MemoryStore(capacity, maxAgeMs, maxRetained) satisfies Store;
}
