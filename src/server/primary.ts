/**
 * The primary of `andon serve --workers N`: it forks N workers (node:cluster)
 * that share the listening port, and owns what must exist once:
 *
 * - the store: with `--store memory` the memory store itself, served to the
 *   workers over IPC (`store/cluster-host.ts`); with `--store sqlite:PATH` the
 *   primary opens the file first (creating or migrating it once), then every
 *   worker opens it too and finds the others' events by polling;
 * - the sources (demo hall, SQL pollers), which publish into that store, so
 *   every worker's subscribers get their updates once, not once per worker;
 * - the process lifecycle: a worker that dies is replaced (with a log line),
 *   and SIGTERM/SIGINT is forwarded to every worker, which ends its streams
 *   with a jittered retry before it exits.
 *
 * Connections are spread with round-robin (`SCHED_RR`, Node's default on Linux
 * but set here explicitly): the primary accepts and hands each socket to the
 * next worker. With `SCHED_NONE` the kernel wakes whichever worker it likes,
 * and on Linux that piles most connections onto one or two workers, past the
 * open-files limit of one process that the workers are there to get around.
 * Accepting costs the primary once per connection, which for long-lived event
 * streams is little. `NODE_CLUSTER_SCHED_POLICY=none` still overrides it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { parseBoards } from '../boards/config.js';
import type { ServeConfig } from '../cli/settings.js';
import { publishLocal } from '../mercure/local-publish.js';
import { backoffDelay } from '../sources/backoff.js';
import { createSources } from '../sources/config.js';
import { SOURCES_REPORT_MS, sourcesReport } from '../sources/remote.js';
import { hostStore, type StoreHost } from '../store/cluster-host.js';
import { processChannel } from '../store/cluster-wire.js';
import { baseUrl, openStore, SHUTDOWN_GRACE_MS } from './server.js';

/** A worker that dies sooner than this after its start counts as crashing at start. */
export const WORKER_MIN_UPTIME_MS = 5000;
/** Delays before restarting a worker that keeps crashing at start: doubling up to 30 s. */
export const RESTART_BACKOFF = { initial: 250, max: 30_000 } as const;
/**
 * How long the primary waits, once it forwarded a stop signal, for the
 * workers to exit: their own grace period to end streams, plus time to flush
 * and close the store. Past it they are killed.
 */
export const WORKER_STOP_TIMEOUT_MS = SHUTDOWN_GRACE_MS + 5000;

interface Slot {
  /** The worker serving this slot now. */
  worker: Worker;
  startedAt: number;
  /** Consecutive deaths soon after a start. */
  crashes: number;
  listening: boolean;
  detach: (() => void) | undefined;
  restart: NodeJS.Timeout | undefined;
}

/**
 * Runs the primary until SIGTERM or SIGINT; resolves with the exit code: 0
 * after a clean stop, a worker's code when the workers could not start.
 * Throws (before forking) for a setting that would stop every worker.
 */
export async function runPrimary(config: ServeConfig, logger: Logger): Promise<number> {
  // Checked here, before forking: a mistake must stop the start once, not N times.
  const sources = createSources(config, logger);
  parseBoards(config.boards, config.configFile ?? 'the config file');
  const store = openStore(config, logger);
  const host: StoreHost | undefined = config.store.kind === 'memory' ? hostStore(store) : undefined;
  if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) {
    cluster.schedulingPolicy = cluster.SCHED_RR;
  }
  cluster.setupPrimary({ exec: process.argv[1]!, args: process.argv.slice(2) });

  const slots: Slot[] = [];
  let stopping = false;
  /** True once every worker listened: from then on, a worker that dies is replaced. */
  let serving = false;
  let url: string | undefined;
  let startFailure: ((code: number) => void) | undefined;
  const failedStart = new Promise<number>((resolve) => {
    startFailure = resolve;
  });
  const allListening = new Promise<void>((resolve) => {
    cluster.on('listening', (worker, address) => {
      const slot = slots.find((s) => s.worker === worker);
      if (slot === undefined) return;
      slot.listening = true;
      url ??= baseUrl({ address: address.address ?? config.host, port: address.port });
      if (slots.length === config.workers && slots.every((s) => s.listening)) resolve();
    });
  });

  const fork = (slot?: Slot): Slot => {
    const worker = cluster.fork();
    const detach = host?.attach(processChannel(worker));
    // A new worker hears the sources' health at once, not at the next report.
    worker.once('online', () => {
      if (sources.length > 0) worker.send(sourcesReport(sources), () => {});
    });
    if (slot === undefined) {
      const created: Slot = {
        worker,
        startedAt: Date.now(),
        crashes: 0,
        listening: false,
        detach,
        restart: undefined,
      };
      slots.push(created);
      return created;
    }
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.detach = detach;
    slot.restart = undefined;
    return slot;
  };

  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.find((s) => s.worker === worker);
    if (slot === undefined) return;
    slot.detach?.();
    slot.detach = undefined;
    if (stopping) return;
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
    if (!serving) {
      // The start failed: another would fail the same way (a port in use, a bad board).
      logger.error(
        { event: 'worker-failed', worker: worker.id, pid: worker.process.pid, code, signal },
        `andon: worker ${worker.id} stopped (${how}) before serving; stopping`,
      );
      startFailure?.(code === 0 || code === null ? 1 : code);
      return;
    }
    const lived = Date.now() - slot.startedAt;
    slot.crashes = lived < WORKER_MIN_UPTIME_MS ? slot.crashes + 1 : 0;
    const delay = slot.crashes === 0 ? 0 : backoffDelay(slot.crashes, RESTART_BACKOFF);
    logger.error(
      { event: 'worker-died', worker: worker.id, pid: worker.process.pid, code, signal, delay },
      `andon: worker ${worker.id} (pid ${worker.process.pid}) died (${how}); starting another${
        delay > 0 ? ` in ${delay} ms` : ''
      }`,
    );
    slot.restart = setTimeout(() => {
      if (stopping) return;
      const replaced = fork(slot);
      logger.info(
        { event: 'worker-started', worker: replaced.worker.id, pid: replaced.worker.process.pid },
        `andon: worker ${replaced.worker.id} (pid ${replaced.worker.process.pid}) started`,
      );
    }, delay);
  });

  // Installed before the first fork: a stop during startup stops the workers too.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  for (let i = 0; i < config.workers; i++) fork();
  const started = await Promise.race([
    allListening.then(() => ({ serving: true as const })),
    failedStart.then((code) => ({ serving: false as const, code })),
    stopSignal.then((signal) => ({ serving: false as const, code: 0, signal })),
  ]);

  let reports: NodeJS.Timeout | undefined;
  serving = started.serving;
  if (started.serving) {
    logger.info(
      {
        event: 'start',
        url,
        host: config.host,
        port: config.port,
        store: config.store,
        workers: config.workers,
        pid: process.pid,
        workerPids: slots.map((slot) => slot.worker.process.pid),
      },
      `andon: serving on ${url} with ${config.workers} workers`,
    );
    for (const source of sources) source.start((update) => publishLocal(store, update));
    if (sources.length > 0) {
      reports = setInterval(() => {
        const report = sourcesReport(sources);
        for (const slot of slots) if (slot.worker.isConnected()) slot.worker.send(report, () => {});
      }, SOURCES_REPORT_MS);
    }
  }
  const signal = started.serving
    ? await stopSignal
    : 'signal' in started
      ? started.signal
      : undefined;
  stopping = true;
  if (signal !== undefined) {
    logger.info(
      { event: 'stop', signal },
      `andon: ${signal} received, closing streams in ${config.workers} workers`,
    );
  }
  clearInterval(reports);
  for (const slot of slots) clearTimeout(slot.restart);
  // Sources stop first: nothing may publish into a closing store.
  await Promise.all(sources.map((source) => source.stop()));
  const clean = await stopWorkers(slots, logger);
  host?.close();
  await store.close();
  if (!started.serving && signal === undefined) return started.code;
  logger.info({ event: 'stopped' }, 'andon: stopped');
  return clean ? 0 : 1;
}

/**
 * Sends SIGTERM to every live worker and waits for all to exit; kills those
 * still running after {@link WORKER_STOP_TIMEOUT_MS}. Resolves true when every
 * worker exited by itself with code 0.
 */
async function stopWorkers(slots: readonly Slot[], logger: Logger): Promise<boolean> {
  let clean = true;
  const exits = slots
    .map((slot) => slot.worker)
    .filter((worker) => worker.process.exitCode === null && worker.process.signalCode === null)
    .map(
      (worker) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            clean = false;
            logger.error(
              { event: 'worker-killed', worker: worker.id, pid: worker.process.pid },
              `andon: worker ${worker.id} did not stop within ${WORKER_STOP_TIMEOUT_MS} ms; killing it`,
            );
            worker.process.kill('SIGKILL');
          }, WORKER_STOP_TIMEOUT_MS);
          worker.once('exit', (code) => {
            clearTimeout(timer);
            if (code !== 0) clean = false;
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    );
  await Promise.all(exits);
  return clean;
}
