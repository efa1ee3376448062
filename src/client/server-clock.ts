/**
 * The server's clock, estimated in the page: screens showing the same
 * clock, or "down for 2h2m" counters, agree with each other and with the
 * hub even when their own clocks are off by minutes.
 *
 * A sync makes a few round trips to the hub's `/now` and keeps the one with
 * the shortest round-trip time (the least queuing, so the least error):
 * offset = serverNow + rtt/2 − local time at receipt, with `performance.now()`
 * timing the round trip and `Date.now()` giving the wall time. Its error is
 * at most half that round trip: a millisecond or two on a LAN.
 */
import { Emitter, type Listener } from './emitter.js';

/** The hub's time endpoint: `{"now": <ms since the epoch>}`, never cached. */
export const DEFAULT_NOW_URL = '/now';
/** Round trips per sync: one of five is nearly always free of queuing, and five cost nothing. */
export const DEFAULT_SAMPLES = 5;
/** Time between syncs: quartz clocks drift a few ms in five minutes (10–50 ppm). */
export const DEFAULT_REFRESH_MS = 5 * 60_000;
/** Time before another try after a failed sync: soon, but not a storm on a down hub. */
export const DEFAULT_RETRY_MS = 10_000;
/**
 * A local clock that moves this much more (or less) than the monotonic
 * clock since the last sync was set (NTP step, a user): sync again now.
 */
export const CLOCK_JUMP_MS = 1000;

/** One sync's result. */
export interface ClockEstimate {
  /** Add to `Date.now()` to get the server's time, in ms. */
  readonly offset: number;
  /** Round-trip time of the sample used, in ms (the estimate's error is at most half of it). */
  readonly rtt: number;
  /** Round trips that answered (of `samples`). */
  readonly samples: number;
}

/** Options of a {@link ServerClock}. */
export interface ServerClockOptions {
  /** The time endpoint, absolute or relative to the page. Default {@link DEFAULT_NOW_URL}. */
  readonly url?: string | URL;
  /** Round trips per sync, at least 1. Default {@link DEFAULT_SAMPLES}. */
  readonly samples?: number;
  /** Time between syncs once started, in ms. Default {@link DEFAULT_REFRESH_MS}; `0` syncs once. */
  readonly refreshMs?: number;
  /** Time before another try after a failed sync, in ms. Default {@link DEFAULT_RETRY_MS}. */
  readonly retryMs?: number;
  /** `fetch`'s credentials mode. Default: fetch's (`same-origin`). */
  readonly credentials?: RequestCredentials;
  /** The `fetch` to use. Default: the global one. */
  readonly fetch?: typeof fetch;
}

/** The events of a {@link ServerClock}. */
export interface ServerClockEvents {
  /** A sync succeeded. */
  sync: ClockEstimate;
  /** A sync failed; the clock keeps its last estimate and tries again after `retryMs`. */
  error: Error;
}

/** An estimate of the server's clock; see the module comment. */
export class ServerClock {
  readonly #url: string;
  readonly #samples: number;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #init: RequestInit;
  readonly #fetch: typeof fetch;
  readonly #events = new Emitter<ServerClockEvents>();
  #offset = 0;
  #rtt: number | undefined;
  #error: Error | undefined;
  /** `Date.now()` and `performance.now()` at the last sync, to notice the local clock jump. */
  #wallAt = 0;
  #monotonicAt = 0;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #syncing: Promise<ClockEstimate> | undefined;
  #abort: AbortController | undefined;

  /** A clock for `options` (see {@link ServerClockOptions}); call {@link ServerClock.start}. */
  constructor(options: ServerClockOptions = {}) {
    const base = typeof location === 'undefined' ? undefined : location.href;
    this.#url = new URL(options.url ?? DEFAULT_NOW_URL, base).href;
    this.#samples = whole('samples', options.samples ?? DEFAULT_SAMPLES, 1);
    this.#refreshMs = whole('refreshMs', options.refreshMs ?? DEFAULT_REFRESH_MS, 0);
    this.#retryMs = whole('retryMs', options.retryMs ?? DEFAULT_RETRY_MS, 1);
    this.#init = { cache: 'no-store' };
    if (options.credentials !== undefined) this.#init.credentials = options.credentials;
    const explicit = options.fetch;
    this.#fetch = explicit ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Add to `Date.now()` to get the server's time, in ms; 0 until the first sync. */
  get offset(): number {
    return this.#offset;
  }
  /** Round-trip time of the last sync's best sample, in ms; undefined until the first sync. */
  get rtt(): number | undefined {
    return this.#rtt;
  }
  /** True once a sync succeeded. */
  get synced(): boolean {
    return this.#rtt !== undefined;
  }
  /** Why the last sync failed; undefined after a success. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** The server's time now, in ms since the epoch (the local time until the first sync). */
  now(): number {
    const wall = Date.now();
    if (this.#running && this.#syncing === undefined && this.#rtt !== undefined) {
      const drift = wall - this.#wallAt - (performance.now() - this.#monotonicAt);
      if (Math.abs(drift) > CLOCK_JUMP_MS) void this.#cycle();
    }
    return wall + this.#offset;
  }

  /** Calls `listener` with each `type` event; returns a function removing it. */
  on<K extends keyof ServerClockEvents>(
    type: K,
    listener: Listener<ServerClockEvents[K]>,
  ): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Syncs now, then every `refreshMs` (after a failure, every `retryMs`).
   * Resolves once the first sync settled; it never rejects: see
   * {@link ServerClock.synced} and the `error` event.
   */
  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#running = true;
    return this.#cycle();
  }

  /** Stops syncing (a sync in progress is abandoned); the last estimate stays. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
  }

  /**
   * Syncs now, on demand; a sync already in progress is shared. Rejects when
   * no round trip succeeded, keeping the previous estimate.
   */
  sync(): Promise<ClockEstimate> {
    this.#syncing ??= this.#measure().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #cycle(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    let ok = false;
    try {
      await this.sync();
      ok = true;
    } catch (error) {
      if (this.#running) this.#events.emit('error', error as Error);
    }
    if (!this.#running || this.#timer !== undefined) return;
    const wait = ok ? this.#refreshMs : this.#retryMs;
    if (wait > 0) this.#timer = setTimeout(() => void this.#cycle(), wait);
  }

  async #measure(): Promise<ClockEstimate> {
    const abort = new AbortController();
    this.#abort = abort;
    let best: { offset: number; rtt: number } | undefined;
    let answered = 0;
    let lastError: unknown;
    for (let i = 0; i < this.#samples && !abort.signal.aborted; i++) {
      try {
        const sample = await this.#sample(abort.signal);
        answered++;
        if (best === undefined || sample.rtt < best.rtt) best = sample;
      } catch (error) {
        lastError = error;
      }
    }
    if (this.#abort === abort) this.#abort = undefined;
    if (best === undefined) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      this.#error = new Error(`Could not read the server's time from ${this.#url}: ${reason}`, {
        cause: lastError,
      });
      throw this.#error;
    }
    this.#offset = best.offset;
    this.#rtt = best.rtt;
    this.#error = undefined;
    this.#wallAt = Date.now();
    this.#monotonicAt = performance.now();
    const estimate: ClockEstimate = { offset: best.offset, rtt: best.rtt, samples: answered };
    this.#events.emit('sync', estimate);
    return estimate;
  }

  async #sample(signal: AbortSignal): Promise<{ offset: number; rtt: number }> {
    const sent = performance.now();
    const response = await this.#fetch(this.#url, { ...this.#init, signal });
    const text = await response.text();
    const received = performance.now();
    const local = Date.now();
    if (!response.ok) throw new Error(`${this.#url} answered ${response.status}: ${text.trim()}`);
    const body: unknown = JSON.parse(text);
    const now = (body as { now?: unknown } | null)?.now;
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new Error(`${this.#url} answered ${text.slice(0, 80)}, not {"now": <ms>}.`);
    }
    const rtt = received - sent;
    return { offset: now + rtt / 2 - local, rtt };
  }
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`"${name}" must be a whole number of at least ${min}; got ${value}.`);
  }
  return value;
}
