/**
 * One subscriber: a sink, where it is in the stream, and its bounded queue.
 *
 * Backpressure policy: while the socket accepts writes, batches go straight
 * out. Once a write reports backpressure the subscriber is congested; events
 * then wait in its queue until the socket drains, and leave in one write.
 * The queue is bounded by events and bytes. With conflation on, a queued
 * event is replaced by a newer one with the same key, so a dashboard that only
 * needs the latest value per key stays connected. Past either bound the
 * subscriber is dropped: it reconnects with its Last-Event-ID and replays.
 */
import type { StoredEvent } from './event.js';
import type { Sink } from './sink.js';

/** Limits and policy of one subscriber's queue. */
export interface QueuePolicy {
  /** Most events queued while congested. */
  readonly maxQueue: number;
  /** Most bytes queued while congested. */
  readonly maxQueueBytes: number;
  /** Keep only the latest queued event per {@link StoredEvent.key}. */
  readonly conflate: boolean;
}

/** Decides whether an event is for this subscriber (topic selectors, authorization). */
export type EventFilter = (event: StoredEvent) => boolean;

/** The engine's view of one connection. */
export class Subscriber {
  /** Unique within the process. */
  readonly id: number;
  /** Events the subscriber receives (among those carrying one of its {@link topics}); null means all. */
  readonly filter: EventFilter | null;
  /**
   * The exact topics the subscriber is indexed under: it receives only events
   * carrying one of them. Null: not indexed, every event is offered to `filter`.
   */
  readonly topics: readonly string[] | null;
  /** Position of the last event delivered or passed over; later events only are delivered. */
  lastPosition = 0;
  /** True once catch-up is over and the subscriber receives live batches. */
  live = false;
  /** Set by every write; the heartbeat skips subscribers that heard something recently. */
  wroteSinceBeat = false;
  /** Milliseconds without a write, as counted by the heartbeat's ticks. */
  idleMs = 0;
  /** This subscriber's heartbeat interval in ms; 0 uses the engine's. */
  heartbeatMs = 0;
  readonly #sink: Sink;
  readonly #policy: QueuePolicy;
  #congested = false;
  #closed = false;
  #queue: StoredEvent[] = [];
  #conflated: Map<string, StoredEvent> | null = null;
  #queuedBytes = 0;
  /** Made on first use: most subscribers never wait for a drain. */
  #drainWaiters: (() => void)[] | null = null;
  #selection: EventFilter | null | undefined;

  constructor(
    id: number,
    sink: Sink,
    policy: QueuePolicy,
    filter: EventFilter | null,
    topics: readonly string[] | null = null,
  ) {
    this.id = id;
    this.#sink = sink;
    this.#policy = policy;
    this.filter = filter;
    this.topics = topics;
  }

  /**
   * Everything that decides what this subscriber receives, its topics and its
   * filter, as one filter for reads from the store (replay, retained state);
   * null means all. Built on first use: only catching-up subscribers need it.
   */
  get selection(): EventFilter | null {
    if (this.#selection === undefined) this.#selection = selection(this.topics, this.filter);
    return this.#selection;
  }

  /** True while the socket is over its high-water mark. */
  get congested(): boolean {
    return this.#congested;
  }

  /** True once the subscriber is closed or dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of events waiting for the socket to drain. */
  get queued(): number {
    return this.#queue.length + (this.#conflated?.size ?? 0);
  }

  /**
   * Delivers `events` (already filtered, ascending). `bytes` is their wire
   * form, shared with other subscribers when they all receive the same events.
   * Returns false when the queue overflowed: the caller must drop the subscriber.
   */
  deliver(events: readonly StoredEvent[], bytes: Buffer): boolean {
    const last = events[events.length - 1];
    if (last === undefined || this.#closed) return true;
    this.lastPosition = last.position;
    if (!this.#congested) {
      this.write(bytes);
      return true;
    }
    for (const event of events) this.#enqueue(event);
    return this.queued <= this.#policy.maxQueue && this.#queuedBytes <= this.#policy.maxQueueBytes;
  }

  /** Writes bytes now (replay pages, heartbeats, notices), tracking backpressure. */
  write(bytes: Buffer): void {
    if (this.#closed) return;
    this.wroteSinceBeat = true;
    if (!this.#sink.write(bytes) && !this.#congested) {
      this.#congested = true;
      this.#sink.onceDrain(() => this.#drain());
    }
  }

  /** Resolves when the subscriber is not congested (or closed). */
  writable(): Promise<void> {
    if (!this.#congested || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drainWaiters ??= [];
      this.#drainWaiters.push(resolve);
    });
  }

  /** Ends the stream gracefully, writing `last` first. */
  end(last?: Buffer): void {
    if (this.#closed) return;
    this.#release();
    this.#sink.end(last);
  }

  /** Drops the connection at once. */
  destroy(): void {
    if (this.#closed) return;
    this.#release();
    this.#sink.destroy();
  }

  /** Marks the subscriber closed and frees its queue (the socket closed on its own). */
  release(): void {
    this.#release();
  }

  #release(): void {
    this.#closed = true;
    this.#queue = [];
    this.#conflated = null;
    this.#queuedBytes = 0;
    this.#wake();
  }

  /** Resolves what {@link Subscriber.writable} handed out. */
  #wake(): void {
    const waiters = this.#drainWaiters;
    if (waiters === null) return;
    this.#drainWaiters = null;
    for (const resolve of waiters) resolve();
  }

  #enqueue(event: StoredEvent): void {
    if (this.#policy.conflate && event.key !== undefined) {
      this.#conflated ??= new Map();
      const previous = this.#conflated.get(event.key);
      if (previous !== undefined) {
        this.#queuedBytes -= previous.bytes.length;
        this.#conflated.delete(event.key);
      }
      this.#conflated.set(event.key, event);
    } else {
      this.#queue.push(event);
    }
    this.#queuedBytes += event.bytes.length;
  }

  #drain(): void {
    this.#congested = false;
    if (this.#closed) return;
    const pending = this.#takeQueue();
    if (pending.length > 0) {
      this.write(pending.length === 1 ? pending[0]!.bytes : concatBytes(pending));
    }
    if (!this.#congested) this.#wake();
  }

  /** The queue in position order, emptied. */
  #takeQueue(): StoredEvent[] {
    let pending = this.#queue;
    if (this.#conflated !== null && this.#conflated.size > 0) {
      pending = pending.concat([...this.#conflated.values()]);
      pending.sort((a, b) => a.position - b.position);
    }
    this.#queue = [];
    this.#conflated = null;
    this.#queuedBytes = 0;
    return pending;
  }
}

/** A filter accepting what `filter` accepts among events carrying one of `topics` (null: any topic). */
function selection(
  topics: readonly string[] | null,
  filter: EventFilter | null,
): EventFilter | null {
  if (topics === null) return filter;
  const wanted = new Set(topics);
  const carries = (event: StoredEvent) => event.topics.some((topic) => wanted.has(topic));
  return filter === null ? carries : (event) => carries(event) && filter(event);
}

/** One buffer holding the wire bytes of `events`, in order. */
export function concatBytes(events: readonly StoredEvent[]): Buffer {
  let length = 0;
  for (const event of events) length += event.bytes.length;
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const event of events) offset += event.bytes.copy(out, offset);
  return out;
}
