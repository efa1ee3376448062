/**
 * Messages between the load coordinator (`load.ts`) and its workers
 * (`worker.ts`), over the `fork` IPC channel. Counters in progress messages
 * are cumulative since the worker started, so the coordinator can sum the
 * latest of each worker at any time; those in stats are since the last reset.
 */
import type { HistogramSnapshot } from './histogram.js';

/** What one worker is asked to do. */
export interface WorkerPlan {
  readonly host: string;
  readonly port: number;
  /** Request target, e.g. `/events` or `/.well-known/mercure?topic=...`. */
  readonly path: string;
  /** Extra request headers (`Last-Event-ID`, `Authorization`...). */
  readonly headers: Readonly<Record<string, string>>;
  /** Connections this worker opens. */
  readonly connections: number;
  /** Connections it opens per second while ramping. */
  readonly rampPerSecond: number;
  /** Source addresses its connections are spread over, in turn; empty lets the kernel choose. */
  readonly sourceAddresses: readonly string[];
  /** How often it reports progress, in ms. */
  readonly progressMs: number;
  /** A connection with no response head after this long counts as failed, in ms. */
  readonly connectTimeoutMs: number;
}

/** Coordinator to worker. */
export type ToWorker =
  | { readonly type: 'start'; readonly plan: WorkerPlan }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'reset'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

/** Cumulative counters a worker reports as it goes. */
export interface WorkerProgress {
  /** Connections whose response head (200) arrived and that are still open. */
  readonly open: number;
  /** Connections settled: opened (200) or failed. */
  readonly settled: number;
  /** Connections that failed to open (refused, timed out, non-200) or were closed by the server. */
  readonly errors: number;
  /** Events received since the worker started. */
  readonly events: number;
}

/** A worker's figures since its last reset. */
export interface WorkerStats extends WorkerProgress {
  /** Events and body bytes since the last reset. */
  readonly windowEvents: number;
  readonly windowBytes: number;
  /** Time since the last reset, in ms. */
  readonly elapsedMs: number;
  /** CPU time the worker used since the last reset, in ms (user + system). */
  readonly cpuMs: number;
  /** Connections the server closed after opening them (since the start). */
  readonly closedByServer: number;
  /** A few error messages, to say what went wrong. */
  readonly errorSamples: readonly string[];
  readonly latency: HistogramSnapshot;
}

/** Worker to coordinator. */
export type FromWorker =
  | ({ readonly type: 'progress' } & WorkerProgress)
  | { readonly type: 'ready' }
  | { readonly type: 'stats'; readonly id: number; readonly stats: WorkerStats }
  | { readonly type: 'done'; readonly id: number };
