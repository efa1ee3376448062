/**
 * A live subscription to an Andon (Mercure) hub over `fetch` and a
 * `ReadableStream`, not `EventSource`: it must see heartbeat comments to
 * know the data is fresh, choose its own reconnection schedule, send a
 * token header, and bound what it buffers.
 *
 * One subscription holds at most one connection and one timer (the stale
 * watchdog) besides the wait between attempts. It never gives up: a wall
 * screen must come back by itself once the network or the hub does.
 */
import { reconnectDelay } from './backoff.js';
import { Emitter, type Listener } from './emitter.js';
import { LiveError } from './live-error.js';
import { type LiveOptions, type LiveSettings, resolveLiveOptions } from './live-options.js';
import { openStream, toLiveError } from './live-request.js';
import { type SseEvent, SseParser } from './sse-parser.js';

/** The event type of the hub's gap notice (a last event id it no longer knows). */
export const RESET_EVENT = 'reset';

/**
 * Where the subscription is: `connecting` (first attempt), `open` (a stream
 * is being read), `reconnecting` (waiting to retry, or retrying), `closed`
 * (by {@link LiveSubscription.close}; final).
 */
export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** One update from the hub. */
export interface LiveUpdate {
  /** Its id (after it, the subscription's last event id). */
  readonly id: string;
  /** Its type: `message` unless the publisher gave one. */
  readonly type: string;
  /** Its data; `''` for an empty update (Andon boards read it as a deletion). */
  readonly data: string;
}

/**
 * The hub could not resume after the last event id (it no longer knows it,
 * or history was pruned): updates may have been missed. With `retained`,
 * the latest state of every topic follows at once; without it, reload what
 * the screen shows.
 */
export interface LiveReset {
  /** The notice's id: where the stream now resumes from. */
  readonly id: string;
  /** The hub's reason: `unknown-last-event-id` or `history-pruned`. */
  readonly reason: string;
  /** The last event id the hub could not resume after. */
  readonly lastEventId: string | undefined;
}

/** The events of a {@link LiveSubscription} and the value each listener gets. */
export interface LiveEvents {
  /** An update arrived. */
  update: LiveUpdate;
  /** A gap was announced; see {@link LiveReset}. */
  reset: LiveReset;
  /** Nothing arrived for `staleAfterMs`: the wall-clock ms since which the data is unconfirmed. */
  stale: number;
  /** Data flows again after being stale: the wall-clock ms it resumed. */
  live: number;
  /** The state changed. */
  state: LiveState;
  /** A connection attempt failed (the subscription retries by itself). */
  error: LiveError;
}

/** A subscription made by {@link subscribe}. */
export interface LiveSubscription {
  /** Where the subscription is; see {@link LiveState}. */
  readonly state: LiveState;
  /** The last event id received (sent to the hub on reconnection); `''` before any. */
  readonly lastEventId: string;
  /** True while nothing (not even a heartbeat) arrived for `staleAfterMs`. */
  readonly stale: boolean;
  /** While stale, the wall-clock ms of the last data received; otherwise undefined. */
  readonly staleSince: number | undefined;
  /** Calls `listener` with each `type` event; returns a function removing it. */
  on<K extends keyof LiveEvents>(type: K, listener: Listener<LiveEvents[K]>): () => void;
  /** Closes the connection and stops every timer; no event follows the `closed` state. */
  close(): void;
}

/**
 * Subscribes to `options.topics` and keeps the subscription alive until
 * closed: reconnects with backoff, resumes after the last event id (no gap,
 * no duplicate), and reports staleness. Throws a TypeError or RangeError
 * for a bad option.
 */
export function subscribe(options: LiveOptions): LiveSubscription {
  return new Subscription(resolveLiveOptions(options));
}

/** What one connection attempt came to. */
interface Attempt {
  /** It delivered an event or a heartbeat: the hub is serving us. */
  readonly delivered: boolean;
  readonly error?: LiveError;
}

class Subscription implements LiveSubscription {
  readonly #settings: LiveSettings;
  readonly #events = new Emitter<LiveEvents>();
  #state: LiveState = 'connecting';
  #lastEventId: string;
  #serverRetryMs: number | undefined;
  #failures = 0;
  #closed = false;
  #abort: AbortController | undefined;
  /** Set when the watchdog drops a silent stream, so the attempt reports why. */
  #stalled: LiveError | undefined;
  /** `performance.now()` of the last bytes received (or of the subscription's start). */
  #lastBytes = performance.now();
  /** `performance.now()` the current attempt started. */
  #attemptAt = 0;
  #stale = false;
  #staleSince: number | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;

  constructor(settings: LiveSettings) {
    this.#settings = settings;
    this.#lastEventId = settings.lastEventId;
    this.#schedule();
    void this.#run();
  }

  get state(): LiveState {
    return this.#state;
  }
  get lastEventId(): string {
    return this.#lastEventId;
  }
  get stale(): boolean {
    return this.#stale;
  }
  get staleSince(): number | undefined {
    return this.#staleSince;
  }

  on<K extends keyof LiveEvents>(type: K, listener: Listener<LiveEvents[K]>): () => void {
    return this.#events.on(type, listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.abort();
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#wake?.();
    this.#setState('closed');
    this.#events.clear();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const attempt = await this.#connect();
      if (this.#closed) return;
      this.#failures = attempt.delivered ? 0 : this.#failures + 1;
      this.#setState('reconnecting');
      if (attempt.error !== undefined) this.#events.emit('error', attempt.error);
      const delay = reconnectDelay(this.#settings.retry, {
        serverRetryMs: this.#serverRetryMs,
        failures: this.#failures,
        random: Math.random(),
      });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One connection, from request to the end of its stream. Never throws. */
  async #connect(): Promise<Attempt> {
    const abort = new AbortController();
    this.#abort = abort;
    this.#stalled = undefined;
    this.#attemptAt = performance.now();
    this.#schedule();
    let delivered = false;
    let parser: SseParser | undefined;
    try {
      const body = await openStream(this.#settings, this.#lastEventId, abort.signal);
      if (this.#closed) return { delivered };
      this.#setState('open');
      parser = new SseParser(
        {
          event: (event) => {
            delivered = true;
            this.#dispatch(event);
          },
          comment: () => {
            delivered = true;
          },
          retry: (ms) => {
            this.#serverRetryMs = ms;
          },
        },
        {
          lastEventId: this.#lastEventId,
          maxLineLength: this.#settings.maxEventSize,
          maxEventSize: this.#settings.maxEventSize,
        },
      );
      // Bytes are decoded here, not by the parser, so a character split across chunks survives;
      // the BOM is kept for the parser, which skips it as the standard says.
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (this.#closed) return { delivered };
        if (done) break;
        this.#received();
        parser.feed(decoder.decode(value, { stream: true }));
        this.#lastEventId = parser.lastEventId;
      }
      parser.feed(decoder.decode());
      parser.end();
      return { delivered };
    } catch (error) {
      return { delivered, error: this.#stalled ?? toLiveError(error) };
    } finally {
      if (parser !== undefined) this.#lastEventId = parser.lastEventId;
      // Releases the connection whatever happened; a no-op once the stream ended.
      abort.abort();
      this.#abort = undefined;
    }
  }

  #dispatch(event: SseEvent): void {
    this.#lastEventId = event.id;
    if (event.type === RESET_EVENT) {
      this.#events.emit('reset', parseReset(event));
      return;
    }
    this.#events.emit('update', { id: event.id, type: event.type, data: event.data });
  }

  #received(): void {
    this.#lastBytes = performance.now();
    if (this.#stale) {
      this.#stale = false;
      this.#staleSince = undefined;
      this.#events.emit('live', Date.now());
    }
    this.#schedule();
  }

  /**
   * Arms the watchdog for the nearest deadline: the data going stale, or the
   * attempt in progress (waiting for an answer, or reading the stream) being
   * silent too long. Deadlines only move later, so a timer
   * already armed fires early at worst, and then re-arms for the rest.
   */
  #schedule(): void {
    const staleAfter = this.#settings.staleAfterMs;
    if (this.#watchdog !== undefined || this.#closed || staleAfter === 0) return;
    let deadline = Number.POSITIVE_INFINITY;
    if (!this.#stale) deadline = this.#lastBytes + staleAfter;
    if (this.#abort !== undefined && this.#stalled === undefined) {
      deadline = Math.min(deadline, Math.max(this.#lastBytes, this.#attemptAt) + staleAfter);
    }
    if (deadline === Number.POSITIVE_INFINITY) return;
    this.#watchdog = setTimeout(
      () => {
        this.#watchdog = undefined;
        this.#check();
      },
      Math.max(0, deadline - performance.now()),
    );
  }

  #check(): void {
    if (this.#closed) return;
    const now = performance.now();
    const staleAfter = this.#settings.staleAfterMs;
    if (!this.#stale && now - this.#lastBytes >= staleAfter) {
      this.#stale = true;
      this.#staleSince = Math.round(Date.now() - (now - this.#lastBytes));
      this.#events.emit('stale', this.#staleSince);
    }
    const silent = now - Math.max(this.#lastBytes, this.#attemptAt);
    if (this.#abort !== undefined && this.#stalled === undefined && silent >= staleAfter) {
      // A hung request or a half-open connection (a sleeping laptop, a NAT that
      // forgot us) never errors by itself.
      this.#stalled = new LiveError(
        'stalled',
        `Nothing arrived for ${Math.round(silent)} ms (not even a heartbeat); reconnecting.`,
      );
      this.#abort?.abort();
    }
    this.#schedule();
  }

  #setState(state: LiveState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit('state', state);
  }
}

function parseReset(event: SseEvent): LiveReset {
  let reason = 'unknown';
  let lastEventId: string | undefined;
  try {
    const data: unknown = JSON.parse(event.data);
    if (typeof data === 'object' && data !== null) {
      const fields = data as { reason?: unknown; lastEventId?: unknown };
      if (typeof fields.reason === 'string') reason = fields.reason;
      if (typeof fields.lastEventId === 'string') lastEventId = fields.lastEventId;
    }
  } catch {
    // Not the hub's JSON notice: still a gap, with no reason given.
  }
  return { id: event.id, reason, lastEventId };
}
