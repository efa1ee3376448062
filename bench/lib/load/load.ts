/**
 * The load client: many SSE subscribers on raw sockets, spread over worker
 * processes (`worker.ts`) and source addresses, with one API to ramp them
 * up, read what they received and close them.
 *
 * ```ts
 * const load = await startLoad({ url: `${peer.url}${peer.subscribePath}`, connections: 10_000 });
 * await load.ready();          // every connection has its 200 head (or failed)
 * await load.reset();          // start a measurement window
 * ...publish...
 * const s = await load.stats(); // deliveries/s, latency, errors, the client's CPU
 * await load.close();
 * ```
 *
 * Why so: one process may open at most 20,000 files here, so workers hold at
 * most {@link MAX_PER_WORKER} sockets each; one source address has ~28,000
 * ephemeral ports, so past {@link MAX_PER_ADDRESS} connections they are
 * spread over 127.0.0.1, 127.0.0.2, ... (all loopback on Linux). The client
 * shares the machine with the server it measures, so it reports its own CPU.
 * While it runs it holds the machine's benchmark lock (`lock.ts`): another
 * process's load waits for it rather than measuring against it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram, type LatencySummary } from './histogram.js';
import { acquireBenchLock } from './lock.js';
import type { FromWorker, ToWorker, WorkerPlan, WorkerProgress, WorkerStats } from './protocol.js';

/** Most sockets per worker: under the 20,000 open files a process may hold, with room to spare. */
export const MAX_PER_WORKER = 15_000;
/** Most connections per source address: one address has ~28,000 ephemeral ports. */
export const MAX_PER_ADDRESS = 25_000;
/** Connections per worker the default aims at: two workers from 2,000 up share the work. */
const TARGET_PER_WORKER = 10_000;
/** Default ramp: fast enough for a benchmark, slow enough that no listen backlog overflows. */
export const DEFAULT_RAMP_PER_SECOND = 2_000;
/** How often workers report their cumulative counters (used by {@link LoadClient.delivered}). */
const PROGRESS_MS = 20;
/** A connection with no response head after this long counts as failed. */
const CONNECT_TIMEOUT_MS = 15_000;
/** How long a worker may take to start (tsx compiles it) or to answer, in ms. */
const WORKER_TIMEOUT_MS = 20_000;

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** The stream to open, e.g. `http://127.0.0.1:8080/.well-known/mercure?topic=x`. Loopback only. */
  readonly url: string;
  /** How many connections to open. */
  readonly connections: number;
  /**
   * Worker processes. Default: one per 10,000 connections, at least two from
   * 2,000 connections up (the machine has two cores), and never more than
   * 15,000 connections per worker.
   */
  readonly processes?: number;
  /**
   * Source addresses the connections are spread over. Default: none (the
   * kernel chooses) up to 25,000 connections, else 127.0.0.1, 127.0.0.2, ...
   * one per 25,000.
   */
  readonly sourceAddresses?: readonly string[];
  /** Extra request headers on every connection, e.g. `{ 'Last-Event-ID': id }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Connections opened per second, over all workers. Default {@link DEFAULT_RAMP_PER_SECOND}. */
  readonly rampPerSecond?: number;
  /** Node flags for the workers. Default `['--import', 'tsx']` (they are TypeScript). */
  readonly execArgv?: readonly string[];
}

/** What the load client measured since its last reset (or its start). */
export interface LoadStats {
  /** Connections open now (200 head received, not closed since). */
  readonly open: number;
  /** Connections that failed to open or were closed by the server, since the start. */
  readonly errors: number;
  /** Connections the server closed after opening them, since the start. */
  readonly closedByServer: number;
  /** A few error messages from the workers. */
  readonly errorSamples: readonly string[];
  /** Events received in the window, over all connections. */
  readonly events: number;
  /** Body bytes received in the window. */
  readonly bytes: number;
  /** Length of the window, in ms (the longest of the workers'). */
  readonly elapsedMs: number;
  /** `events` per second over the window. */
  readonly deliveriesPerSecond: number;
  /** Publish-to-receipt latency of every timed event received in the window, in ms. */
  readonly latency: LatencySummary;
  /** CPU time the workers used in the window, in ms (user + system, summed). */
  readonly cpuMs: number;
  /** `cpuMs` over the window: cores the load client kept busy (0 to the core count). */
  readonly cpuCores: number;
  /** The merged latency histogram, for callers that merge several windows. */
  readonly histogram: Histogram;
}

/** A running load: see the module comment. */
export interface LoadClient {
  /** Resolves when every connection has opened or failed; rejects if that takes too long. */
  ready(timeoutMs?: number): Promise<WorkerProgress>;
  /** The workers' latest cumulative counters, summed (no round trip; at most 20 ms old). */
  progress(): WorkerProgress;
  /** Events received since the start, summed over workers (at most 20 ms old): for flow control. */
  delivered(): number;
  /** Figures since the last reset. */
  stats(): Promise<LoadStats>;
  /** Starts a new window: zeroes the window's events, bytes, latency and CPU. */
  reset(): Promise<void>;
  /** Closes every connection (with a reset, so no TIME_WAIT is left) and ends the workers. */
  close(): Promise<void>;
}

/** The default number of workers for `connections`. */
export function defaultProcesses(connections: number): number {
  if (connections < 2_000) return 1;
  return Math.max(
    2,
    Math.ceil(connections / TARGET_PER_WORKER),
    Math.ceil(connections / MAX_PER_WORKER),
  );
}

/** The default source addresses for `connections`: empty (the kernel chooses) up to 25,000. */
export function defaultSourceAddresses(connections: number): string[] {
  if (connections <= MAX_PER_ADDRESS) return [];
  const count = Math.ceil(connections / MAX_PER_ADDRESS);
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
}

/** Splits `total` into `parts` near-equal whole shares. */
function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

class Worker {
  readonly child: ChildProcess;
  progress: WorkerProgress = { open: 0, settled: 0, errors: 0, events: 0 };
  ready = false;
  exited = false;
  readonly #waiting = new Map<number, (message: FromWorker) => void>();
  #nextId = 1;

  constructor(execArgv: readonly string[], onExit: (worker: Worker, code: number | null) => void) {
    this.child = fork(WORKER, [], {
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FromWorker) => this.#receive(message));
    this.child.on('exit', (code) => {
      this.exited = true;
      onExit(this, code);
    });
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case 'progress': {
        const { type: _, ...progress } = message;
        this.progress = progress;
        break;
      }
      case 'ready':
        this.ready = true;
        break;
      default:
        this.#waiting.get(message.id)?.(message);
        this.#waiting.delete(message.id);
    }
  }

  send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Sends a request and resolves with the worker's answer. */
  ask(type: 'stats' | 'reset' | 'close'): Promise<FromWorker> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error(`load worker ${this.child.pid} is gone`));
        return;
      }
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`load worker ${this.child.pid} did not answer "${type}" in time`));
      }, WORKER_TIMEOUT_MS);
      this.#waiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.send({ type, id });
    });
  }
}

/** Starts the workers and begins ramping connections; see {@link LoadClient}. */
export async function startLoad(options: LoadOptions): Promise<LoadClient> {
  const url = new URL(options.url);
  if (url.protocol !== 'http:') throw new Error(`startLoad: only http: URLs; got ${options.url}`);
  const host = url.hostname;
  if (!/^127\.|^localhost$|^\[::1\]$/.test(host)) {
    throw new Error(`startLoad: load only ever targets loopback; got ${host}`);
  }
  const connections = options.connections;
  const processes = options.processes ?? defaultProcesses(connections);
  if (Math.ceil(connections / processes) > MAX_PER_WORKER) {
    throw new Error(
      `startLoad: ${connections} connections over ${processes} workers is more than ${MAX_PER_WORKER} per worker; use more processes.`,
    );
  }
  const sourceAddresses = options.sourceAddresses ?? defaultSourceAddresses(connections);
  const rampPerSecond = options.rampPerSecond ?? DEFAULT_RAMP_PER_SECOND;
  const execArgv = options.execArgv ?? ['--import', 'tsx'];
  // One benchmark at a time on the machine (re-entrant: bench/run.ts already holds it).
  const releaseLock = await acquireBenchLock((line) => process.stderr.write(`  ${line}\n`));
  let closing = false;
  let failure: Error | undefined;
  const workers: Worker[] = [];
  const onExit = (worker: Worker, code: number | null) => {
    if (!closing) failure ??= new Error(`load worker ${worker.child.pid} exited (code ${code})`);
  };
  const shares = split(connections, processes);
  const shareRates = split(rampPerSecond, processes);
  for (let i = 0; i < processes; i++) {
    const worker = new Worker(execArgv, onExit);
    workers.push(worker);
    // Each worker starts its turn through the addresses at a different one, so they fill evenly.
    const rotated = sourceAddresses.map(
      (_, j) => sourceAddresses[(i + j) % sourceAddresses.length]!,
    );
    const plan: WorkerPlan = {
      host,
      port: Number(url.port || 80),
      path: `${url.pathname}${url.search}`,
      headers: options.headers ?? {},
      connections: shares[i]!,
      rampPerSecond: Math.max(1, shareRates[i]!),
      sourceAddresses: rotated,
      progressMs: PROGRESS_MS,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    };
    worker.send({ type: 'start', plan });
  }

  const progress = (): WorkerProgress => {
    const sum = { open: 0, settled: 0, errors: 0, events: 0 };
    for (const worker of workers) {
      sum.open += worker.progress.open;
      sum.settled += worker.progress.settled;
      sum.errors += worker.progress.errors;
      sum.events += worker.progress.events;
    }
    return sum;
  };

  const client: LoadClient = {
    async ready(timeoutMs = (connections / rampPerSecond) * 1000 + 30_000) {
      const deadline = performance.now() + timeoutMs;
      await new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          let error = failure;
          if (error === undefined && performance.now() > deadline) {
            const p = progress();
            error = new Error(
              `load: ${p.settled} of ${connections} connections settled (${p.open} open, ${p.errors} failed) after ${Math.round(timeoutMs)} ms`,
            );
          }
          if (error !== undefined) reject(error);
          else if (workers.every((w) => w.ready)) resolve();
          else return;
          clearInterval(check);
        }, PROGRESS_MS);
      });
      // Every worker's final count: ask each once, so the answer is not a progress tick late.
      const answers = await Promise.all(workers.map((w) => w.ask('stats')));
      const sum = { open: 0, settled: 0, errors: 0, events: 0 };
      for (const answer of answers) {
        if (answer.type !== 'stats') continue;
        sum.open += answer.stats.open;
        sum.settled += answer.stats.settled;
        sum.errors += answer.stats.errors;
        sum.events += answer.stats.events;
      }
      return sum;
    },
    progress,
    delivered: () => progress().events,
    async stats() {
      if (failure !== undefined) throw failure;
      const answers = await Promise.all(workers.map((w) => w.ask('stats')));
      const all: WorkerStats[] = [];
      for (const answer of answers) if (answer.type === 'stats') all.push(answer.stats);
      return mergeStats(all);
    },
    async reset() {
      if (failure !== undefined) throw failure;
      await Promise.all(workers.map((w) => w.ask('reset')));
    },
    async close() {
      if (closing) return;
      closing = true;
      const exits = workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exited) resolve();
            else w.child.once('exit', () => resolve());
          }),
      );
      await Promise.all(workers.map((w) => w.ask('close').catch(() => undefined)));
      const killTimer = setTimeout(() => {
        for (const w of workers) if (!w.exited) w.child.kill('SIGKILL');
      }, WORKER_TIMEOUT_MS);
      await Promise.all(exits);
      clearTimeout(killTimer);
      releaseLock();
    },
  };
  return client;
}

function mergeStats(all: readonly WorkerStats[]): LoadStats {
  const histogram = new Histogram();
  let open = 0;
  let errors = 0;
  let closedByServer = 0;
  let events = 0;
  let bytes = 0;
  let elapsedMs = 0;
  let cpuMs = 0;
  const errorSamples: string[] = [];
  for (const s of all) {
    open += s.open;
    errors += s.errors;
    closedByServer += s.closedByServer;
    events += s.windowEvents;
    bytes += s.windowBytes;
    elapsedMs = Math.max(elapsedMs, s.elapsedMs);
    cpuMs += s.cpuMs;
    histogram.merge(s.latency);
    for (const sample of s.errorSamples)
      if (!errorSamples.includes(sample)) errorSamples.push(sample);
  }
  return {
    open,
    errors,
    closedByServer,
    errorSamples,
    events,
    bytes,
    elapsedMs,
    deliveriesPerSecond: elapsedMs > 0 ? (events / elapsedMs) * 1000 : 0,
    latency: histogram.summary(),
    cpuMs,
    cpuCores: elapsedMs > 0 ? cpuMs / elapsedMs : 0,
    histogram,
  };
}
