/**
 * The board feed, `GET /boards/{name}/events`: the board's updates as a
 * subscription of the hub would deliver them, each wrapped with its topic
 * (`envelope.ts`), since a page keys tiles by topic and Mercure events do
 * not carry it. It speaks the hub's subscribe parameters, so `andon/client`
 * subscribes to it as to the hub: `retained=1`, `heartbeat=MS`,
 * `lastEventID` (or the `Last-Event-ID` header). `topic` parameters are
 * ignored: the board's config decides its topics.
 *
 * One engine serves every board over a wrapping view of the hub's store, so
 * ordering, replay, retained state, reset notices, heartbeats (one timer) and
 * backpressure are the engine's own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Engine, type EngineObserver, type EngineSettings } from '../engine/engine.js';
import { HEARTBEAT_PARAMETER, MIN_HEARTBEAT_MS, RETAINED_PARAMETER } from '../mercure/subscribe.js';
import { readLastEventId, refuse, writeStreamHead } from '../sse/response.js';
import type { Store, StoreFilter } from '../store/store.js';
import { createTopicView } from './topic-view.js';

/** What {@link BoardFeed} needs. */
export interface BoardFeedOptions {
  /** The hub's store. */
  readonly store: Store;
  /** Accepts every update some board shows; only those are wrapped. */
  readonly relevant: StoreFilter;
  /** Delivery settings: the hub's. */
  readonly engine: Omit<EngineSettings, 'observer'>;
  /** Most concurrent feed subscribers (503 past it). */
  readonly maxSubscribers: number;
  /** Hooks for logs and metrics. */
  readonly observer?: EngineObserver;
}

/** The feeds of all boards. */
export class BoardFeed {
  readonly #engine: Engine;
  readonly #maxSubscribers: number;

  constructor(options: BoardFeedOptions) {
    this.#engine = new Engine(createTopicView(options.store, options.relevant), {
      ...options.engine,
      observer: options.observer,
    });
    this.#maxSubscribers = options.maxSubscribers;
  }

  /** Subscribers attached now. */
  get size(): number {
    return this.#engine.size;
  }

  /** Serves one subscription to the updates `filter` accepts. Never throws: a bad request gets a sentence. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
    filter: StoreFilter,
  ): void {
    const heartbeatText = query.get(HEARTBEAT_PARAMETER);
    let heartbeat: number | undefined;
    if (heartbeatText !== null) {
      heartbeat = /^\d{1,9}$/.test(heartbeatText) ? Number(heartbeatText) : Number.NaN;
      if (!(heartbeat >= MIN_HEARTBEAT_MS)) {
        refuse(
          res,
          400,
          `"heartbeat" must be a whole number of milliseconds of at least ${MIN_HEARTBEAT_MS}; got ${JSON.stringify(heartbeatText)}.`,
        );
        return;
      }
    }
    if (this.#engine.closed) {
      refuse(res, 503, 'The hub is shutting down; retry shortly.', { 'Retry-After': '2' });
      return;
    }
    if (this.#engine.size >= this.#maxSubscribers) {
      refuse(
        res,
        503,
        `The board feeds are at their limit of ${this.#maxSubscribers} subscribers; retry shortly.`,
        {
          'Retry-After': '5',
        },
      );
      return;
    }
    const retainedText = query.get(RETAINED_PARAMETER);
    const sink = writeStreamHead(req, res);
    const subscriber = this.#engine.attach(sink, {
      filter,
      lastEventId: readLastEventId(req),
      retained: retainedText !== null && retainedText !== '0' && retainedText !== 'false',
      heartbeat,
    });
    res.on('close', () => this.#engine.detach(subscriber));
    // A socket error closes the response too; 'close' above cleans up.
    res.on('error', () => {});
  }

  /** Ends every feed with a jittered retry (pages come back to the next process by themselves). */
  close(): Promise<void> {
    return this.#engine.close();
  }
}
