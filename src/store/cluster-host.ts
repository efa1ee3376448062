/**
 * The primary's side of the cluster store: it owns the store (a memory store),
 * answers the calls of every worker attached to it, and sends every worker
 * each event appended, whoever appended it (a worker's publish, or a source
 * running in the primary).
 *
 * Once per tick each worker gets one message: the events appended in that
 * tick, in position order, then the replies to its calls. Replies come after
 * the events they may contain, so a worker's `watch` has always seen an event
 * before any read or append answer mentions it, exactly as with a store in
 * its own process. An append's reply names its events by position when the
 * same message carries them, so they cross the channel once.
 */
import type { StoredEvent } from '../engine/event.js';
import {
  type ClusterChannel,
  isStoreMessage,
  STORE_TAG,
  type StoreCall,
  type StoreReply,
  toWire,
  toWireError,
  type WireEvent,
} from './cluster-wire.js';
import type { Store } from './store.js';

/** The primary's side of the cluster store. */
export interface StoreHost {
  /** Serves the calls of the worker at the other end of `channel` and sends it every event from now on. */
  attach(channel: ClusterChannel): () => void;
  /** Number of workers attached. */
  readonly size: number;
  /** Sends what is due, detaches every worker and stops watching the store (which stays open). */
  close(): void;
}

interface Peer {
  readonly channel: ClusterChannel;
  replies: StoreReply[];
  readonly detach: () => void;
}

class ClusterStoreHost implements StoreHost {
  readonly #store: Store;
  readonly #peers = new Set<Peer>();
  readonly #unwatch: () => void;
  /** The events appended since the last flush, for every worker. */
  #events: WireEvent[] = [];
  /** Their positions: an append reply may name these instead of repeating them. */
  #positions = new Set<number>();
  #flushScheduled = false;
  #closed = false;

  constructor(store: Store) {
    this.#store = store;
    this.#unwatch = store.watch((events) => {
      for (const event of events) {
        this.#events.push(toWire(event));
        this.#positions.add(event.position);
      }
      this.#schedule();
    });
  }

  get size(): number {
    return this.#peers.size;
  }

  attach(channel: ClusterChannel): () => void {
    if (this.#closed) throw new Error('The store host is closed.');
    const offs: (() => void)[] = [];
    const peer: Peer = {
      channel,
      replies: [],
      detach: () => {
        this.#peers.delete(peer);
        for (const off of offs) off();
      },
    };
    offs.push(
      channel.onMessage((message) => this.#receive(peer, message)),
      channel.onClose(() => peer.detach()),
    );
    this.#peers.add(peer);
    return peer.detach;
  }

  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#unwatch();
    for (const peer of [...this.#peers]) peer.detach();
  }

  #receive(peer: Peer, message: unknown): void {
    if (!isStoreMessage(message) || !Array.isArray(message.calls)) return;
    for (const call of message.calls) {
      this.#run(call).then(
        (value) => this.#reply(peer, { seq: call.seq, ok: true, value }),
        (error: unknown) =>
          this.#reply(peer, { seq: call.seq, ok: false, error: toWireError(error) }),
      );
    }
  }

  async #run(call: StoreCall): Promise<unknown> {
    const store = this.#store;
    switch (call.op) {
      case 'append': {
        const stored = await store.append(call.drafts);
        // Checked now: an event still waiting to be sent goes out in the same message as this reply.
        return stored.map((event: StoredEvent) =>
          this.#positions.has(event.position) ? event.position : toWire(event),
        );
      }
      case 'read': {
        const page = await store.read(call.after, { limit: call.limit });
        return { ...page, events: page.events.map(toWire) };
      }
      case 'resolve':
        return store.resolve(call.id);
      case 'latest': {
        const snapshot = await store.latest();
        return { events: snapshot.events.map(toWire), through: snapshot.through };
      }
      case 'head':
        return store.head();
      case 'prune':
        return store.prune(call.now);
      default:
        throw new Error(`Unknown store call ${JSON.stringify((call as { op: unknown }).op)}.`);
    }
  }

  #reply(peer: Peer, reply: StoreReply): void {
    if (!this.#peers.has(peer)) return;
    peer.replies.push(reply);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flushScheduled || this.#closed) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const events = this.#events;
    if (events.length > 0) {
      this.#events = [];
      this.#positions = new Set();
    }
    for (const peer of this.#peers) {
      if (events.length === 0 && peer.replies.length === 0) continue;
      const replies = peer.replies;
      peer.replies = [];
      peer.channel.send({ tag: STORE_TAG, events, replies });
    }
  }
}

/**
 * Serves `store` to cluster workers: attach each worker's channel
 * (`processChannel(worker)`); the workers use `createClusterStore`.
 */
export function hostStore(store: Store): StoreHost {
  return new ClusterStoreHost(store);
}
