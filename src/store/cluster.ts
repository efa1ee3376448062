/**
 * The cluster store: the store of a node:cluster worker whose primary process
 * owns the history (a memory store, see `cluster-host.ts`). Every call is a
 * request over the IPC channel; the primary orders appends and sends every
 * worker the events appended anywhere, once each, in position order.
 *
 * Calls made in one tick travel in one message. Filters are closures, so they
 * run here: a filtered read fetches unfiltered pages and filters them. Calls
 * that read (read, resolve, head, latest) and are made again while the same
 * call is in flight share its answer: a reconnect storm of thousands of
 * subscribers with the same Last-Event-ID costs one round trip, not thousands.
 * Sharing is safe because a call shares only while this worker has received
 * no event since the first was sent: the shared answer, computed later by the
 * primary, is then at least as new as everything the worker has seen.
 */

import type { EventDraft, StoredEvent } from '../engine/event.js';
import { AndonError } from '../errors.js';
import {
  type ClusterChannel,
  fromWire,
  fromWireError,
  isStoreMessage,
  STORE_TAG,
  type StoreCall,
  type WireEvent,
} from './cluster-wire.js';
import { notifyListeners } from './listeners.js';
import type {
  ReadOptions,
  ReadPage,
  RetainedSnapshot,
  Store,
  StoreFilter,
  StoreHead,
  StoreHealth,
  StoreListener,
} from './store.js';

/** Options of {@link createClusterStore}. */
export interface ClusterStoreOptions {
  /**
   * How long a call waits for the primary before it fails with
   * `ANDON_STORE_UNAVAILABLE`, in ms. Default 10,000. The primary is a local
   * process: past this it is stuck, and a publisher must hear so.
   */
  readonly timeoutMs?: number;
  /** What `/healthz` calls the primary, e.g. `primary pid 1234`. Default `primary`. */
  readonly primary?: string;
}

/** Default of {@link ClusterStoreOptions.timeoutMs}. */
export const CLUSTER_CALL_TIMEOUT_MS = 10_000;
/** Events fetched per round trip by a filtered read: one replay page of the engine. */
export const CLUSTER_READ_CHUNK = 1000;
/** Events a filtered read scans at most before it returns a page (the caller reads on from `through`). */
export const CLUSTER_SCAN_LIMIT = 10_000;

type CallBody = StoreCall extends infer C ? (C extends StoreCall ? Omit<C, 'seq'> : never) : never;

interface Pending {
  /** True for an append, whose reply refers to the events of its message. */
  readonly append: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly sentAt: number;
}

interface RawPage {
  readonly events: readonly WireEvent[];
  readonly through: number;
  readonly end: boolean;
  readonly gap: boolean;
}

/** The events a message carried, by position: what an append's reply refers to. */
type Delivered = ReadonlyMap<number, StoredEvent>;

class ClusterStore implements Store, StoreHealth {
  readonly #channel: ClusterChannel;
  readonly #timeoutMs: number;
  readonly #primary: string;
  readonly #listeners = new Set<StoreListener>();
  readonly #pending = new Map<number, Pending>();
  readonly #shared = new Map<string, Promise<unknown>>();
  readonly #detach: (() => void)[];
  #outbox: StoreCall[] = [];
  #flushScheduled = false;
  #seq = 0;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;
  #lost = false;

  constructor(channel: ClusterChannel, timeoutMs: number, primary: string) {
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
    this.#primary = primary;
    this.#detach = [
      channel.onMessage((message) => this.#receive(message)),
      channel.onClose(() => this.#fail(lostError(this.#primary), true)),
    ];
  }

  health(): { readonly ok: boolean; readonly detail: string } {
    if (this.#closed) return { ok: false, detail: 'closed' };
    if (this.#lost) return { ok: false, detail: `the ${this.#primary} is gone` };
    return { ok: true, detail: `memory, held by the ${this.#primary}` };
  }

  async append(drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    if (drafts.length === 0 && !this.#closed && !this.#lost) return [];
    const value = await this.#call({ op: 'append', drafts });
    // Read by #receive, which turns positions into the events of the same message.
    return value as StoredEvent[];
  }

  async read(after: number, options: ReadOptions): Promise<ReadPage> {
    const { limit, filter } = options;
    if (filter === undefined || limit <= 0) {
      // The page may be shared with other callers: each gets its own array.
      const page = await this.#readRaw(after, limit);
      return { ...page, events: [...page.events] };
    }
    const events: StoredEvent[] = [];
    let through = after;
    let gap: boolean | undefined;
    for (let scanned = 0; scanned < CLUSTER_SCAN_LIMIT; ) {
      const page = await this.#readRaw(through, Math.max(limit, CLUSTER_READ_CHUNK));
      gap ??= page.gap;
      for (let i = 0; i < page.events.length; i++) {
        const event = page.events[i]!;
        through = event.position;
        if (filter(event)) {
          events.push(event);
          if (events.length >= limit) {
            const end = page.end && i === page.events.length - 1;
            return { events, through, end, gap };
          }
        }
      }
      scanned += page.events.length;
      through = Math.max(through, page.through);
      if (page.end) return { events, through, end: true, gap };
    }
    return { events, through, end: false, gap: gap ?? false };
  }

  #readRaw(after: number, limit: number): Promise<ReadPage> {
    return this.#share(`read ${after} ${limit}`, { op: 'read', after, limit }, (value) => {
      const page = value as RawPage;
      return { ...page, events: page.events.map(fromWire) };
    });
  }

  resolve(id: string): Promise<number | undefined> {
    return this.#share(`resolve ${id}`, { op: 'resolve', id }, (value) =>
      typeof value === 'number' ? value : undefined,
    );
  }

  async latest(filter?: StoreFilter): Promise<RetainedSnapshot> {
    const snapshot = await this.#share('latest', { op: 'latest' }, (value) => {
      const raw = value as { events: readonly WireEvent[]; through: number };
      return { events: raw.events.map(fromWire), through: raw.through };
    });
    if (filter === undefined) return { events: [...snapshot.events], through: snapshot.through };
    return { events: snapshot.events.filter(filter), through: snapshot.through };
  }

  head(): Promise<StoreHead | undefined> {
    return this.#share('head', { op: 'head' }, (value) => (value ?? undefined) as StoreHead);
  }

  async prune(now?: number): Promise<number> {
    return (await this.#call({ op: 'prune', now })) as number;
  }

  watch(listener: StoreListener): () => void {
    if (this.#closed) throw closedError();
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#fail(closedError(), false);
    this.#closed = true;
    this.#listeners.clear();
    for (const detach of this.#detach) detach();
    return Promise.resolve();
  }

  /** One round trip, shared with the same call made while it is in flight. */
  #share<T>(key: string, body: CallBody, decode: (value: unknown) => T): Promise<T> {
    const inFlight = this.#shared.get(key);
    if (inFlight !== undefined) return inFlight as Promise<T>;
    const answer = this.#call(body).then(decode);
    this.#shared.set(key, answer);
    // Removed before anyone awaiting it runs: a call made after the answer arrived asks again.
    const forget = () => {
      if (this.#shared.get(key) === answer) this.#shared.delete(key);
    };
    answer.then(forget, forget);
    return answer;
  }

  #call(body: CallBody): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#lost) return Promise.reject(lostError(this.#primary));
    const seq = ++this.#seq;
    this.#outbox.push({ ...body, seq } as StoreCall);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    this.#sweep ??= setInterval(() => this.#expire(), Math.max(1, this.#timeoutMs / 4)).unref();
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, {
        append: body.op === 'append',
        resolve,
        reject,
        sentAt: Date.now(),
      });
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#outbox.length === 0 || this.#closed || this.#lost) return;
    const calls = this.#outbox;
    this.#outbox = [];
    this.#channel.send({ tag: STORE_TAG, calls });
  }

  #receive(message: unknown): void {
    if (this.#closed || !isStoreMessage(message)) return;
    const events = (message.events ?? []).map(fromWire);
    if (events.length > 0) {
      // A call made from now on must see these events: it may no longer share
      // the answer of a call sent before they arrived.
      this.#shared.clear();
      notifyListeners(this.#listeners, events);
    }
    let delivered: Delivered | undefined;
    for (const reply of message.replies ?? []) {
      const pending = this.#pending.get(reply.seq);
      if (pending === undefined) continue;
      this.#pending.delete(reply.seq);
      if (!reply.ok) pending.reject(fromWireError(reply.error));
      else if (pending.append) {
        delivered ??= new Map(events.map((event) => [event.position, event]));
        try {
          pending.resolve(appended(reply.value, delivered));
        } catch (error) {
          pending.reject(error);
        }
      } else pending.resolve(reply.value);
    }
    if (this.#pending.size === 0) this.#stopSweep();
  }

  /** Fails calls that waited past the timeout: the primary is stuck. */
  #expire(): void {
    const cutoff = Date.now() - this.#timeoutMs;
    for (const [seq, pending] of this.#pending) {
      if (pending.sentAt > cutoff) break;
      this.#pending.delete(seq);
      pending.reject(
        new AndonError(
          'ANDON_STORE_UNAVAILABLE',
          `The ${this.#primary} did not answer within ${this.#timeoutMs} ms; the store call was abandoned.`,
        ),
      );
    }
    if (this.#pending.size === 0) this.#stopSweep();
  }

  #stopSweep(): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #fail(error: AndonError, lost: boolean): void {
    if (lost) this.#lost = true;
    this.#outbox = [];
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#stopSweep();
    for (const call of pending) call.reject(error);
  }
}

/** An append's reply: each event is its position when the same message carried it, else itself. */
function appended(value: unknown, delivered: Delivered): StoredEvent[] {
  return (value as (number | WireEvent)[]).map((item) => {
    if (typeof item !== 'number') return fromWire(item);
    const event = delivered.get(item);
    if (event === undefined)
      throw new Error(`The primary referred to event ${item} it did not send.`);
    return event;
  });
}

function closedError(): AndonError {
  return new AndonError('ANDON_CLOSED', 'The cluster store is closed.');
}

function lostError(primary: string): AndonError {
  return new AndonError(
    'ANDON_STORE_UNAVAILABLE',
    `The ${primary} that holds the store is gone; this worker cannot read or publish until it is restarted.`,
  );
}

/**
 * Creates the store of a cluster worker, talking to the primary over
 * `channel` (`processChannel(process)` in a worker). The primary serves it
 * with `hostStore` (see `cluster-host.ts`).
 */
export function createClusterStore(
  channel: ClusterChannel,
  options: ClusterStoreOptions = {},
): Store & StoreHealth {
  const timeoutMs = options.timeoutMs ?? CLUSTER_CALL_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `Cluster store "timeoutMs" must be a positive integer; got ${String(timeoutMs)}.`,
    );
  }
  return new ClusterStore(channel, timeoutMs, options.primary ?? 'primary') satisfies Store;
}
