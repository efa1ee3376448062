/**
 * The store seam. A store orders events (it assigns positions), keeps them
 * for replay, resolves public ids to positions, and feeds every process that
 * shares it with the events appended anywhere. The engine knows nothing else
 * about it: memory (one process) is one implementation; durable and shared
 * stores are others, each checked by the shared suite in `store.suite.ts`.
 */
import type { EventDraft, StoredEvent } from '../engine/event.js';

/** Called with events appended to the store, in position order, once each. */
export type StoreListener = (events: readonly StoredEvent[]) => void;

/** The interface every store implements. */
export interface Store {
  /**
   * Appends events in the given order and resolves once they are kept (for a
   * durable store: once they are durable), with their positions assigned.
   * Rejects, and keeps none of them, if any draft cannot be encoded.
   */
  append(drafts: readonly EventDraft[]): Promise<StoredEvent[]>;
  /**
   * Events with a position strictly greater than `position`, ascending, at
   * most `limit` of them. Position 0 reads from the oldest event kept.
   */
  readAfter(position: number, limit: number): Promise<StoredEvent[]>;
  /**
   * The position of the event with public id `id`, or undefined when the
   * store does not know that id (never seen, or no longer kept). Costs
   * O(log n) or better.
   */
  resolve(id: string): Promise<number | undefined>;
  /**
   * Registers a listener for appended events, from this process or others
   * sharing the store. Events reach it in position order after they are
   * readable with {@link Store.readAfter}. Returns a function that removes it.
   */
  watch(listener: StoreListener): () => void;
  /** Releases what the store holds. Further calls reject with `ANDON_CLOSED`. */
  close(): Promise<void>;
}
