/**
 * The library's Stream: an engine with a memory store and no protocol.
 *
 * ```ts
 * const timer = createStream({ replay: 1000 });
 * http.createServer((req, res) => timer.serve(req, res)).listen(8080);
 * timer.send({ event: 'time', data: new Date().toISOString() });
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AttachOptions, Engine, type EngineObserver } from '../engine/engine.js';
import { AndonError } from '../errors.js';
import { createMemoryStore } from '../store/memory.js';
import type { Store } from '../store/store.js';
import { type CorsOptions, type CorsPolicy, compileCors } from './cors.js';
import { type EventFields, validateEvent } from './encoder.js';
import { createIdGenerator } from './ids.js';
import { answerOptions, readLastEventId, refuse, writeStreamHead } from './response.js';

/** Options of {@link createStream}. Every one has a default. */
export interface StreamOptions {
  /** Events kept for replay to reconnecting clients. Default 1000; 0 keeps none. */
  readonly replay?: number;
  /** Reconnection delay sent to clients (`retry:`), in ms. Default 2000. */
  readonly retry?: number;
  /** Heartbeat comment interval in ms, one timer for all clients. Default 15000; 0 disables. */
  readonly heartbeat?: number;
  /** Cross-origin access. Default: none (same-origin pages only). */
  readonly cors?: CorsOptions | undefined;
  /** Events a slow client may have queued before it is disconnected. Default 1000. */
  readonly maxQueue?: number;
  /** Bytes a slow client may have queued before it is disconnected. Default 1 MiB. */
  readonly maxQueueBytes?: number;
  /**
   * Conflate a slow client's queue: keep only the latest queued event per key
   * (the `key` given to `send`, else the event type). Default false.
   */
  readonly conflate?: boolean;
  /** On close, spread clients' reconnections over this many ms past `retry`. Default 5000. */
  readonly closeJitter?: number;
  /** Generates ids for events sent without one. Default: monotonic, orderable ids. */
  readonly generateId?: () => string;
  /** Hooks for logs and metrics. */
  readonly observer?: EngineObserver;
}

/** Defaults of {@link StreamOptions}, each with its reason. */
export const STREAM_DEFAULTS = {
  replay: 1000,
  /** Two seconds: quick enough for a wall screen, slow enough not to hammer a restarting server. */
  retry: 2000,
  /** Fifteen seconds: under the 30-60 s idle timeouts of common proxies and load balancers. */
  heartbeat: 15_000,
  maxQueue: 1000,
  maxQueueBytes: 1024 * 1024,
  conflate: false,
  /** Five seconds: 10,000 clients come back at about 2,000 per second. */
  closeJitter: 5000,
  /** Events read from history at once during a replay. */
  replayPageSize: 1000,
} as const;

/** An event to send. */
export interface SendFields extends EventFields {
  /** Conflation key (see {@link StreamOptions.conflate}); defaults to the event type. */
  readonly key?: string | undefined;
}

/** Options of {@link Stream.sendJSON}. */
export interface SendJSONOptions {
  /** The event id; generated when omitted. */
  readonly id?: string;
  /** Conflation key; defaults to the event type. */
  readonly key?: string;
}

/** A server-sent event stream that any number of clients subscribe to. */
export interface Stream {
  /**
   * Serves one client: `GET` subscribes (replaying from its Last-Event-ID),
   * `OPTIONS` answers CORS preflights, any other method gets 405.
   * Works with node:http, Express (`app.get(path, (req, res) => s.serve(req, res))`)
   * and Fastify (`reply.hijack(); s.serve(request.raw, reply.raw)`).
   */
  serve(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Sends an event to every client. Returns its id (generated when not given).
   * Throws `ANDON_INVALID_FIELD`, `ANDON_INVALID_RETRY` or `ANDON_INVALID_DATA`
   * before anything is sent when a field cannot travel, and `ANDON_CLOSED` after close.
   */
  send(fields: SendFields): string;
  /** Sends `JSON.stringify(value)` as an event of type `event`. Returns its id. */
  sendJSON(event: string, value: unknown, options?: SendJSONOptions): string;
  /** Number of connected clients. */
  readonly size: number;
  /**
   * Ends every client's stream with a jittered `retry`, so they reconnect
   * over time (to this process's successor, typically), and frees everything.
   */
  close(): Promise<void>;
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `Stream option "${name}" must be an integer of at least ${min}; got ${String(value)}.`,
    );
  }
  return value;
}

class SseStream implements Stream {
  readonly #store: Store;
  readonly #engine: Engine;
  readonly #cors: CorsPolicy | undefined;
  readonly #generateId: () => string;
  readonly #observer: EngineObserver | undefined;

  constructor(options: StreamOptions) {
    this.#observer = options.observer;
    const d = STREAM_DEFAULTS;
    this.#store = createMemoryStore({
      capacity: checkCount('replay', options.replay ?? d.replay, 0),
    });
    this.#engine = new Engine(this.#store, {
      retry: checkCount('retry', options.retry ?? d.retry, 0),
      heartbeat: checkCount('heartbeat', options.heartbeat ?? d.heartbeat, 0),
      maxQueue: checkCount('maxQueue', options.maxQueue ?? d.maxQueue, 1),
      maxQueueBytes: checkCount('maxQueueBytes', options.maxQueueBytes ?? d.maxQueueBytes, 1),
      conflate: options.conflate ?? d.conflate,
      closeJitter: checkCount('closeJitter', options.closeJitter ?? d.closeJitter, 0),
      replayPageSize: d.replayPageSize,
      observer: options.observer,
    });
    this.#cors = options.cors === undefined ? undefined : compileCors(options.cors);
    this.#generateId = options.generateId ?? createIdGenerator();
  }

  get size(): number {
    return this.#engine.size;
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'OPTIONS') {
      answerOptions(req, res, this.#cors);
      return;
    }
    if (req.method !== 'GET') {
      refuse(
        res,
        405,
        `Method ${req.method} is not allowed on an event stream; subscribe with GET.`,
        {
          Allow: 'GET, OPTIONS',
        },
      );
      return;
    }
    if (this.#engine.closed) {
      refuse(res, 503, 'The event stream is shutting down; reconnect shortly.', {
        'Retry-After': '2',
      });
      return;
    }
    const attach: AttachOptions = { lastEventId: readLastEventId(req) };
    const sink = writeStreamHead(req, res, this.#cors?.headersFor(req));
    const subscriber = this.#engine.attach(sink, attach);
    res.on('close', () => this.#engine.detach(subscriber));
    // A write error means the client went away; 'close' follows and detaches it.
    res.on('error', () => {});
  }

  send(fields: SendFields): string {
    if (this.#engine.closed) throw new AndonError('ANDON_CLOSED', 'The stream is closed.');
    validateEvent(fields);
    const id = fields.id ?? this.#generateId();
    this.#store
      .append([
        {
          id,
          type: fields.event,
          data: fields.data,
          retry: fields.retry,
          topics: [],
          key: fields.key ?? fields.event ?? 'message',
        },
      ])
      .catch((error: unknown) => this.#engineError(error));
    return id;
  }

  sendJSON(event: string, value: unknown, options: SendJSONOptions = {}): string {
    let data: string | undefined;
    try {
      data = JSON.stringify(value);
    } catch (error) {
      // Cycles, BigInts and throwing toJSON() methods: the caller's value, not our failure.
      throw new AndonError(
        'ANDON_INVALID_DATA',
        `sendJSON cannot serialize the value (${String(error)}); remove cycles and BigInts or give them a toJSON().`,
        { cause: error },
      );
    }
    if (data === undefined) {
      throw new AndonError('ANDON_INVALID_DATA', `sendJSON cannot serialize a ${typeof value}.`);
    }
    return this.send({ event, data, id: options.id, key: options.key });
  }

  async close(): Promise<void> {
    await this.#engine.close();
    await this.#store.close();
  }

  #engineError(error: unknown): void {
    // The memory store rejects only after close, which send() refuses first;
    // should that ever change, say so loudly rather than lose the event quietly.
    if (this.#observer?.error !== undefined) this.#observer.error(error);
    else process.emitWarning(`Andon stream: an event was not stored: ${String(error)}`);
  }
}

/** Creates a {@link Stream}. See {@link StreamOptions} for the defaults. */
export function createStream(options: StreamOptions = {}): Stream {
  return new SseStream(options);
}
