/**
 * The store seam. A store orders events (it assigns positions), keeps them
 * for replay within its retention, resolves public ids to positions, keeps
 * the latest event of every topic (retained state), and feeds every process
 * that shares it with the events appended anywhere. The engine knows nothing
 * else about it: memory (one process) and SQLite (one machine, durable) are
 * implementations, each checked by the shared suite in `store.suite.ts`.
 */
import type { EventDraft, StoredEvent } from '../engine/event.js';

/** Called with events appended to the store, in position order, once each. */
export type StoreListener = (events: readonly StoredEvent[]) => void;

/** Decides which events a read returns (topic selectors, authorization). */
export type StoreFilter = (event: StoredEvent) => boolean;

/** How to read. */
export interface ReadOptions {
  /** Most events returned. */
  readonly limit: number;
  /** Only events it accepts are returned; the others are scanned past. */
  readonly filter?: StoreFilter | undefined;
}

/** One page of a read. */
export interface ReadPage {
  /** Matching events, ascending. */
  readonly events: StoredEvent[];
  /** The last position scanned: read on from here. */
  readonly through: number;
  /** True when the scan reached the newest event. */
  readonly end: boolean;
  /** True when events after `after` were pruned before this read: replay cannot fill the gap. */
  readonly gap: boolean;
}

/** Retained state: the latest event of each topic, and where history stood then. */
export interface RetainedSnapshot {
  /** The latest event of each canonical topic (accepted by the filter), ascending by position. */
  readonly events: StoredEvent[];
  /** The newest position at the time of the snapshot: live delivery continues after it. */
  readonly through: number;
}

/** The newest event of a store. */
export interface StoreHead {
  readonly position: number;
  readonly id: string;
}

/** How much history a store keeps. The latest event of each topic is always kept. */
export interface RetentionPolicy {
  /** Most events kept; older ones are pruned. */
  readonly maxEvents: number;
  /** Oldest event kept, in ms of age; 0 keeps events of any age. */
  readonly maxAgeMs: number;
}

/** The interface every store implements. */
export interface Store {
  /**
   * Appends events in the given order and resolves once they are kept (for a
   * durable store: once they are as durable as it promises), with their
   * positions assigned. Rejects, keeping none of them, if a draft cannot be
   * encoded or the store cannot write (`ANDON_STORE_UNAVAILABLE`).
   */
  append(drafts: readonly EventDraft[]): Promise<StoredEvent[]>;
  /**
   * Events with a position strictly greater than `after`, ascending, that the
   * filter accepts, at most `limit`. `after` 0 reads from the oldest event
   * kept. Costs O(log n) to start wherever `after` is.
   */
  read(after: number, options: ReadOptions): Promise<ReadPage>;
  /**
   * The position of the event with public id `id`, or undefined when the
   * store does not know that id (never seen, or pruned). Costs O(log n) or better.
   */
  resolve(id: string): Promise<number | undefined>;
  /** The latest event of every topic the filter accepts, kept whatever the retention. */
  latest(filter?: StoreFilter): Promise<RetainedSnapshot>;
  /** The newest event, or undefined when the store is empty. */
  head(): Promise<StoreHead | undefined>;
  /** Applies the retention policy now; resolves with the number of events removed. */
  prune(now?: number): Promise<number>;
  /**
   * Registers a listener for appended events, from this process or others
   * sharing the store. Events reach it in position order after they are
   * readable with {@link Store.read}. Returns a function that removes it.
   */
  watch(listener: StoreListener): () => void;
  /** Releases what the store holds. Further calls reject with `ANDON_CLOSED`. */
  close(): Promise<void>;
}

/** Whether a store works now, and a sentence saying so. */
export interface StoreHealthReport {
  /** False when the store cannot write (or read) now. */
  readonly ok: boolean;
  /** What the store is doing, or why it fails. */
  readonly detail: string;
}

/** Optional capability: a store that can say whether it works (shown by `/healthz`). */
export interface StoreHealth {
  /** `ok` false when the store cannot write (or read) now; `detail` says why. */
  health(): StoreHealthReport;
  /**
   * Calls `listener` each time `ok` changes (a store whose health changes by
   * itself, like a network store losing its server). Returns a function that
   * removes it. Stores that only learn their health when asked leave it out.
   */
  watchHealth?(listener: (report: StoreHealthReport) => void): () => void;
}

/** True when `store` reports its health. */
export function hasHealth(store: Store): store is Store & StoreHealth {
  return typeof (store as Partial<StoreHealth>).health === 'function';
}
