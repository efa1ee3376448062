/**
 * Publishers that drive a peer: closed-loop (as fast as the peer absorbs,
 * with flow control) and fixed-rate (latency at a known load). Each event's
 * data is a timed payload (`payload.ts`), stamped when it is sent, so the
 * load client measures publish-to-receipt latency.
 *
 * Every loop stops by itself at its deadline; `stop()` ends it sooner.
 */
import { Histogram, type LatencySummary } from './histogram.js';
import { DEFAULT_DATA_BYTES, timedPayload } from './payload.js';

/** Publishes one event with `data`; resolves when the server accepted it. */
export type PublishOne = (data: string) => Promise<void>;

/** What a publisher did. */
export interface PublishSummary {
  /** Events accepted by the server. */
  readonly published: number;
  /** Publishes that failed (the first message is in `firstError`). */
  readonly errors: number;
  readonly firstError: string | undefined;
  /** How long each accepted publish took, request to response, in ms. */
  readonly publishLatency: LatencySummary;
}

/** A running publisher. */
export interface Publisher {
  /** Events sent so far (accepted or in flight). */
  sent(): number;
  /** Stops sending and resolves once every publish in flight has settled. */
  stop(): Promise<PublishSummary>;
}

class Tally {
  published = 0;
  errors = 0;
  firstError: string | undefined;
  readonly latency = new Histogram();

  async send(publishOne: PublishOne, data: string): Promise<void> {
    const start = performance.now();
    try {
      await publishOne(data);
      this.published++;
      this.latency.record(performance.now() - start);
    } catch (error) {
      this.errors++;
      this.firstError ??= (error as Error).message;
    }
  }

  summary(): PublishSummary {
    return {
      published: this.published,
      errors: this.errors,
      firstError: this.firstError,
      publishLatency: this.latency.summary(),
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Options of {@link startClosedLoop}. */
export interface ClosedLoopOptions {
  readonly publishOne: PublishOne;
  /** Publishers, each sending its next event when the previous one is accepted. */
  readonly concurrency: number;
  /** Bytes of data per event. Default {@link DEFAULT_DATA_BYTES}. */
  readonly dataBytes?: number;
  /** Hard stop, in ms from now: the loop ends by itself then. */
  readonly maxDurationMs: number;
  /** Flow control: checked before each send; while false, the publisher waits. */
  readonly gate?: () => boolean;
}

/** Closed-loop publishers: `concurrency` sends in flight, as fast as the server accepts them. */
export function startClosedLoop(options: ClosedLoopOptions): Publisher {
  const tally = new Tally();
  const dataBytes = options.dataBytes ?? DEFAULT_DATA_BYTES;
  const deadline = performance.now() + options.maxDurationMs;
  let sent = 0;
  let stopped = false;
  const running = () => !stopped && performance.now() < deadline;
  const lane = async () => {
    while (running()) {
      if (options.gate !== undefined && !options.gate()) {
        // Waiting for subscribers to catch up: their progress arrives every 20 ms.
        await sleep(5);
        continue;
      }
      await tally.send(options.publishOne, timedPayload(sent++, dataBytes));
    }
  };
  const lanes = Promise.all(Array.from({ length: options.concurrency }, lane));
  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      await lanes;
      return tally.summary();
    },
  };
}

/** Options of {@link startFixedRate}. */
export interface FixedRateOptions {
  readonly publishOne: PublishOne;
  /** Events per second, sent on a schedule whatever the responses (open loop). */
  readonly perSecond: number;
  /** How long to publish, in ms; the loop ends by itself then. */
  readonly durationMs: number;
  /** Bytes of data per event. Default {@link DEFAULT_DATA_BYTES}. */
  readonly dataBytes?: number;
  /** Most publishes in flight: past it the schedule slips rather than queueing without bound. */
  readonly maxInFlight?: number;
}

/**
 * Open-loop publishing at a fixed rate: event i is sent at start + i/rate,
 * stamped when it is actually sent. Resolves when the last one settled.
 */
export function startFixedRate(options: FixedRateOptions): Publisher & { done: Promise<void> } {
  const tally = new Tally();
  const dataBytes = options.dataBytes ?? DEFAULT_DATA_BYTES;
  const maxInFlight = options.maxInFlight ?? 64;
  const total = Math.floor((options.durationMs / 1000) * options.perSecond);
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let stopped = false;
  const done = (async () => {
    const start = performance.now();
    while (!stopped && sent < total) {
      const due = start + (sent * 1000) / options.perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const sending = tally.send(options.publishOne, timedPayload(sent++, dataBytes));
      inFlight.add(sending);
      sending.then(() => inFlight.delete(sending));
    }
    await Promise.all(inFlight);
  })();
  return {
    done,
    sent: () => sent,
    async stop() {
      stopped = true;
      await done;
      return tally.summary();
    },
  };
}

/**
 * Flow control for closed-loop publishing to `subscribers` subscribers: the
 * gate opens while fewer than `lagEvents` events per subscriber are published
 * but not yet received, so no server buffers without bound (the raw peers do
 * not watch backpressure) and a peer is driven at what it delivers.
 *
 * A peer that loses events would hold the gate shut for good; when nothing
 * arrives for {@link STALL_MS} while the gate is shut, the missing
 * deliveries are written off (counted in `writtenOff`) and publishing goes on.
 */
export class FlowGate {
  /** Deliveries written off as lost. */
  writtenOff = 0;
  /** Times the gate stalled and wrote deliveries off. */
  stalls = 0;
  readonly #subscribers: number;
  readonly #maxLag: number;
  readonly #sent: () => number;
  readonly #delivered: () => number;
  #lastDelivered = -1;
  #lastChange = performance.now();

  constructor(subscribers: number, lagEvents: number, sent: () => number, delivered: () => number) {
    this.#subscribers = subscribers;
    this.#maxLag = subscribers * lagEvents;
    this.#sent = sent;
    this.#delivered = delivered;
  }

  /** The gate: pass `() => gate.open()` as a publisher's `gate`. */
  open(): boolean {
    const delivered = this.#delivered();
    const now = performance.now();
    if (delivered !== this.#lastDelivered) {
      this.#lastDelivered = delivered;
      this.#lastChange = now;
    }
    const lag = this.#sent() * this.#subscribers - delivered - this.writtenOff;
    if (lag < this.#maxLag) return true;
    if (now - this.#lastChange > STALL_MS) {
      this.writtenOff += lag;
      this.stalls++;
      this.#lastChange = now;
      return true;
    }
    return false;
  }
}

/** Silence with the gate shut after which undelivered events are written off, in ms. */
export const STALL_MS = 1_000;
