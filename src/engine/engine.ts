/**
 * The engine: subscribers, dispatch, batching, replay, heartbeat, close.
 *
 * Events come from the store's feed, never straight from publishers, so a
 * process sees its own events and those of every process sharing the store
 * through one path. Events arriving in one tick are gathered and flushed once
 * (`setImmediate`; under load, after a short coalescing wait, see
 * {@link COALESCE_MIN_SUBSCRIBERS}): a subscriber that receives the whole
 * batch gets one buffer shared with every other such subscriber, in one write.
 *
 * Subscribers that select exact topics are indexed by topic (see
 * `topic-index.ts`), so an event costs O(its subscribers), not O(all).
 */
import { AndonError, isAndonError } from '../errors.js';
import { encodeRetry } from '../sse/encoder.js';
import type { Store } from '../store/store.js';
import { dispatch } from './dispatch.js';
import type { StoredEvent } from './event.js';
import { startHeartbeat } from './heartbeat.js';
import { type CatchUpStart, catchUp } from './replay.js';
import type { Sink } from './sink.js';
import { type EventFilter, type QueuePolicy, Subscriber } from './subscriber.js';
import { TopicIndex } from './topic-index.js';

/**
 * Coalescing under load: an engine with at least this many subscribers
 * waits, after a dispatch, as long as that dispatch took (at most
 * {@link COALESCE_MAX_MS}) before the next one. Writing one event to 10,000
 * sockets takes ~150 ms here, nearly all of it in the kernel, and the cost is
 * per write, not per byte: the events that arrive meanwhile then go out in
 * one write per socket. Measured (`npm run bench -- --only workers`): 1.42 M
 * to 3.1 M deliveries/s at 10,000 subscribers. A quiet stream, or a small
 * engine, is never held back.
 */
export const COALESCE_MIN_SUBSCRIBERS = 1000;
/** The longest an event waits for coalescing, in ms (see {@link COALESCE_MIN_SUBSCRIBERS}). */
export const COALESCE_MAX_MS = 25;

/** Why a subscriber left. */
export type LeaveReason = 'disconnected' | 'dropped' | 'closed';

/** Hooks for logs and metrics. Every hook is optional and must not throw. */
export interface EngineObserver {
  /** A subscriber was attached. */
  subscribed?(subscriber: Subscriber): void;
  /** A subscriber left: its client went away, it overflowed its queue, or the engine closed. */
  unsubscribed?(subscriber: Subscriber, reason: LeaveReason): void;
  /** A batch went out: `deliveries` events counted once per subscriber, `bytes` written. */
  delivered?(deliveries: number, bytes: number): void;
  /** A catch-up finished: events replayed, and whether a reset was announced. */
  caughtUp?(subscriber: Subscriber, replayed: number, reset: boolean): void;
  /**
   * A catch-up could not read the store (`ANDON_STORE_UNAVAILABLE`: an outage):
   * the subscriber's stream was ended with its `retry`, so the client comes
   * back, and gets its replay, or a 503 while the outage lasts.
   */
  catchUpFailed?(subscriber: Subscriber, error: AndonError): void;
  /** Something failed that no caller could be told about (an unexpected error during catch-up). */
  error?(error: unknown): void;
}

/** Engine settings, all required; public factories fill in the defaults. */
export interface EngineSettings {
  /** Heartbeat interval in ms; 0 disables heartbeats. */
  readonly heartbeat: number;
  /** The `retry` sent to every new subscriber, in ms. */
  readonly retry: number;
  /** On close, each client's reconnection delay is `retry` plus up to this many ms, at random. */
  readonly closeJitter: number;
  /** Queue bound in events for a congested subscriber. */
  readonly maxQueue: number;
  /** Queue bound in bytes for a congested subscriber. */
  readonly maxQueueBytes: number;
  /** Default conflation for subscribers (see {@link Subscriber}). */
  readonly conflate: boolean;
  /** Events read from the store per catch-up page. */
  readonly replayPageSize: number;
  /** Hooks for logs and metrics. */
  readonly observer?: EngineObserver | undefined;
}

/** How one subscriber attaches. */
export interface AttachOptions {
  /** The client's Last-Event-ID: replay what follows it. Undefined: live from now. */
  readonly lastEventId?: string | undefined;
  /**
   * A position already resolved by the caller: replay what follows it (0 replays
   * everything kept). Takes precedence over `lastEventId`.
   */
  readonly after?: number | undefined;
  /**
   * Start with the latest event of every topic the filter accepts (retained
   * state), then live. With a Last-Event-ID, a known id replays instead and
   * an unknown one falls back to the retained state.
   */
  readonly retained?: boolean | undefined;
  /**
   * Which events this subscriber receives; all when omitted (within `topics`,
   * when given). Runs for every event offered: all of them, or with `topics`
   * only those carrying one of its topics.
   */
  readonly filter?: EventFilter | undefined;
  /**
   * The exact topics this subscriber selects, when its selection is such a
   * set (no wildcard, no template): it then receives only events carrying at
   * least one of them (and that `filter` accepts), and is indexed under them,
   * so events on other topics cost it nothing. Omitted: every event is
   * offered to `filter`. An empty list receives nothing.
   */
  readonly topics?: readonly string[] | undefined;
  /** Heartbeat interval in ms for this subscriber; undefined uses the engine's. */
  readonly heartbeat?: number | undefined;
}

/** Fans the events of one store out to many subscribers. */
export class Engine {
  readonly #store: Store;
  readonly #settings: EngineSettings;
  readonly #observer: EngineObserver;
  readonly #subscribers = new Set<Subscriber>();
  /** Subscribers without `topics`: offered every event. The others are in `#index`. */
  readonly #unindexed = new Set<Subscriber>();
  readonly #index = new TopicIndex();
  readonly #retryBytes: Buffer;
  /** One queue policy shared by every subscriber, not an object per connection. */
  readonly #policy: QueuePolicy;
  readonly #unwatch: () => void;
  readonly #stopHeartbeat: () => void;
  #batch: StoredEvent[] = [];
  #flushScheduled = false;
  /** How long the last dispatch took, and when it ended (performance.now()). */
  #lastFlushMs = 0;
  #lastFlushEnd = 0;
  #head = 0;
  #headId = '';
  #nextId = 1;
  #closed = false;

  constructor(store: Store, settings: EngineSettings) {
    this.#store = store;
    this.#settings = settings;
    this.#observer = settings.observer ?? {};
    this.#retryBytes = encodeRetry(settings.retry);
    this.#policy = {
      maxQueue: settings.maxQueue,
      maxQueueBytes: settings.maxQueueBytes,
      conflate: settings.conflate,
    };
    this.#unwatch = store.watch((events) => this.#receive(events));
    // A durable store may hold history from before this process: start from its head.
    store.head().then(
      (head) => {
        if (head !== undefined && head.position > this.#head) {
          this.#head = head.position;
          this.#headId = head.id;
        }
      },
      (error: unknown) => this.#observer.error?.(error),
    );
    this.#stopHeartbeat = startHeartbeat(settings.heartbeat, this.#subscribers);
  }

  /** Number of attached subscribers. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** True once {@link Engine.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The attached subscribers (live and catching up). */
  subscribers(): IterableIterator<Subscriber> {
    return this.#subscribers.values();
  }

  /**
   * Attaches a subscriber writing to `sink`: writes the `retry` block at once,
   * then replays from `lastEventId` (or starts live). Call {@link Engine.detach}
   * when the connection closes.
   */
  attach(sink: Sink, options: AttachOptions = {}): Subscriber {
    if (this.#closed) throw new AndonError('ANDON_CLOSED', 'The stream is closed.');
    const subscriber = new Subscriber(
      this.#nextId++,
      sink,
      this.#policy,
      options.filter ?? null,
      options.topics === undefined ? null : [...new Set(options.topics)],
    );
    if (options.heartbeat !== undefined) subscriber.heartbeatMs = options.heartbeat;
    this.#subscribers.add(subscriber);
    if (subscriber.topics === null) this.#unindexed.add(subscriber);
    else this.#index.add(subscriber);
    subscriber.write(this.#retryBytes);
    this.#observer.subscribed?.(subscriber);
    const retained = options.retained === true;
    if (options.after !== undefined) {
      this.#catchUp(subscriber, { position: options.after, retained });
    } else if (options.lastEventId !== undefined) {
      this.#catchUp(subscriber, { lastEventId: options.lastEventId, retained });
    } else if (retained) {
      this.#catchUp(subscriber, { retained });
    } else {
      subscriber.lastPosition = this.#head;
      subscriber.live = true;
    }
    return subscriber;
  }

  /** Forgets a subscriber whose connection closed, freeing what it held. */
  detach(subscriber: Subscriber): void {
    if (!this.#forget(subscriber)) return;
    subscriber.release();
    this.#observer.unsubscribed?.(subscriber, 'disconnected');
  }

  /**
   * Sends what is due, then ends every stream with a `retry` spread at random
   * over `closeJitter`, so clients come back over time, not all at once.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch();
    this.#stopHeartbeat();
    this.#flush();
    const { retry, closeJitter } = this.#settings;
    for (const subscriber of this.#subscribers) {
      subscriber.end(encodeRetry(retry + Math.floor(Math.random() * (closeJitter + 1))));
      this.#observer.unsubscribed?.(subscriber, 'closed');
    }
    this.#subscribers.clear();
    this.#unindexed.clear();
    this.#index.clear();
  }

  /** Position of the latest event received from the store; 0 before the first. */
  get head(): number {
    return this.#head;
  }

  /** Id of the latest event received from the store; `''` before the first. */
  get headId(): string {
    return this.#headId;
  }

  #catchUp(subscriber: Subscriber, from: CatchUpStart): void {
    const context = {
      store: this.#store,
      head: () => this.#head,
      headId: () => this.#headId,
      pageSize: this.#settings.replayPageSize,
    };
    catchUp(context, subscriber, from).then(
      (result) => this.#observer.caughtUp?.(subscriber, result.replayed, result.reset),
      (error: unknown) => {
        if (isAndonError(error, 'ANDON_STORE_UNAVAILABLE')) {
          // An outage, not a bug: end the stream in good order, the client retries.
          this.#observer.catchUpFailed?.(subscriber, error);
          subscriber.end(this.#retryBytes);
          return;
        }
        this.#observer.error?.(error);
        this.#drop(subscriber);
      },
    );
  }

  #receive(events: readonly StoredEvent[]): void {
    const last = events[events.length - 1];
    if (last === undefined) return;
    this.#head = last.position;
    this.#headId = last.id;
    for (const event of events) this.#batch.push(event);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // After a heavy dispatch, wait as long again (up to a bound) before the
      // next: the events of that time go out together, one write per socket.
      const wait =
        this.#subscribers.size < COALESCE_MIN_SUBSCRIBERS
          ? 0
          : Math.min(this.#lastFlushMs, COALESCE_MAX_MS) - (performance.now() - this.#lastFlushEnd);
      if (wait >= 1) setTimeout(() => this.#flush(), wait);
      else setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const started = performance.now();
    const { deliveries, bytes } = dispatch(batch, this.#unindexed, this.#index, (subscriber) =>
      this.#drop(subscriber),
    );
    this.#lastFlushEnd = performance.now();
    this.#lastFlushMs = this.#lastFlushEnd - started;
    if (deliveries > 0) this.#observer.delivered?.(deliveries, bytes);
  }

  /** Removes `subscriber` from the engine's sets; false if it was not attached. */
  #forget(subscriber: Subscriber): boolean {
    if (!this.#subscribers.delete(subscriber)) return false;
    if (subscriber.topics === null) this.#unindexed.delete(subscriber);
    else this.#index.remove(subscriber);
    return true;
  }

  #drop(subscriber: Subscriber): void {
    if (!this.#forget(subscriber)) return;
    subscriber.destroy();
    this.#observer.unsubscribed?.(subscriber, 'dropped');
  }
}
