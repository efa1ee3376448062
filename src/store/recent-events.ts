/**
 * Events decoded recently, by position, shared by every reader of a store.
 * After a restart thousands of screens replay the same rows; building each
 * event (parsing it, encoding its wire bytes) once per reader cost more than
 * reading it. A position never names another event in a store, so a kept
 * event stays right; the oldest kept goes first past the capacity.
 */
import type { StoredEvent } from '../engine/event.js';

/** Events kept by default (~0.5 KB each): the last 16,384. */
export const RECENT_EVENTS = 16_384;

/** A bounded map of recently built events; see the module comment. */
export class RecentEvents {
  readonly #events = new Map<number, StoredEvent>();
  readonly #capacity: number;

  constructor(capacity: number = RECENT_EVENTS) {
    this.#capacity = capacity;
  }

  /** The event at `position`, built by `build` only if none is kept. */
  get(position: number, build: () => StoredEvent): StoredEvent {
    const kept = this.#events.get(position);
    if (kept !== undefined) return kept;
    const event = build();
    this.add(event);
    return event;
  }

  /** Keeps `event` (an append's own result, so its readers need not build it again). */
  add(event: StoredEvent): void {
    this.#events.set(event.position, event);
    if (this.#events.size > this.#capacity) {
      // Oldest inserted first: a Map keeps insertion order.
      const oldest = this.#events.keys().next().value;
      if (oldest !== undefined) this.#events.delete(oldest);
    }
  }

  /** Forgets every event (the store closed). */
  clear(): void {
    this.#events.clear();
  }
}
