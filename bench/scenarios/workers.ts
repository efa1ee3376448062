/**
 * Both cores: `andon serve --workers N` (node:cluster) against one process.
 *
 * (1) Fan-out at saturation with 10,000 subscribers on one topic, through the
 * full hub path (Mercure subscribe with a topic selector, HTTP publish), with
 * 1 and 2 workers sharing the memory store held by the primary.
 *
 * (2) `--full` only: 60,000 concurrent subscribers, past what one process may
 * hold (20,000 open files here), with 4 workers of 15,000 each and 5 load
 * processes, one per destination address 127.0.0.1..127.0.0.5; whether every
 * one connected and received every event, and the RSS of each process.
 */
import { availableParallelism } from 'node:os';
import type { LatencySummary } from '../lib/load/histogram.js';
import { startLoad } from '../lib/load/load.js';
import { FlowGate, startClosedLoop } from '../lib/load/publishers.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { startSpreadLoad } from '../lib/spread-load.js';
import { formatBytes, formatCount, formatDuration, formatRatio, type Table } from '../lib/table.js';
import { startAndon } from '../peers/andon.js';
import { type Peer, processTree, rssOf } from '../peers/peer.js';
import { LAG_EVENTS as FANOUT_LAG_EVENTS, PUBLISHERS as FANOUT_PUBLISHERS } from './fanout.js';

/** Subscribers of the fan-out measurement: the issue's figure. */
const FANOUT_SUBSCRIBERS = 10_000;
/** Worker counts compared; 1 is the plain single process (no cluster, no IPC). */
const WORKER_COUNTS = [1, 2] as const;
/**
 * The fan-out scenario's load (16 closed-loop publishers, up to 128 events
 * per subscriber published but not received), so "one process" here is the
 * figure the fan-out targets are set at. With a tighter gate (4 publishers,
 * 16 events) the pace is set by round trips, not by the hub, and workers
 * would be judged on latency instead of on what the cores deliver.
 */
const PUBLISHERS = FANOUT_PUBLISHERS;
const LAG_EVENTS = FANOUT_LAG_EVENTS;
const WINDOW_MS = { quick: 3_000, full: 10_000 } as const;
const WARMUP_MS = { quick: 1_000, full: 3_000 } as const;

/** The 60,000 of the issue: 4 workers of 15,000, under one process's 20,000 open files. */
const HOLD = {
  subscribers: 60_000,
  workers: 4,
  /**
   * One load process per destination address: the hub listens on 0.0.0.0 for
   * this part, and each destination has its own ~28,000 ephemeral ports
   * (source addresses do not, see `lib/spread-load.ts`).
   */
  destinations: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'],
  /** Events published once everyone is connected: each subscriber must get each one. */
  events: 3,
  rampPerSecond: 2_000,
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FanoutRow {
  readonly workers: number;
  readonly subscribers: number;
  readonly opened: number;
  readonly deliveredPerSecond: number;
  readonly published: number;
  readonly publishErrors: number;
  readonly latency: LatencySummary;
  readonly serverCores: number;
  readonly clientCores: number;
  readonly rss: ProcessRss[];
}

interface ProcessRss {
  readonly role: 'primary' | 'worker' | 'process';
  readonly pid: number;
  readonly bytes: number;
}

/** RSS of the hub's processes: the primary, then each worker. */
function rssOfHub(peer: Peer): ProcessRss[] {
  const tree = processTree(peer.pid);
  return tree.map((pid) => ({
    role: tree.length === 1 ? 'process' : pid === peer.pid ? 'primary' : 'worker',
    pid,
    bytes: rssOf(pid),
  }));
}

async function fanout(context: BenchContext, workers: number): Promise<FanoutRow> {
  const mode = context.full ? 'full' : 'quick';
  const hub = await startAndon({
    name: `andon --workers ${workers}`,
    args: workers > 1 ? ['--workers', String(workers)] : [],
    log: context.log,
  });
  const load = await startLoad({
    url: `${hub.url}${hub.subscribePath}`,
    connections: FANOUT_SUBSCRIBERS,
  });
  try {
    context.log(
      `workers: ${workers} worker(s), opening ${formatCount(FANOUT_SUBSCRIBERS)} subscribers`,
    );
    const opened = await load.ready();
    let sentBefore = 0;
    let current: { sent(): number } | undefined;
    const gate = new FlowGate(
      opened.open,
      LAG_EVENTS,
      () => sentBefore + (current?.sent() ?? 0),
      () => load.delivered(),
    );
    const loop = (ms: number) => {
      const publisher = startClosedLoop({
        publishOne: (data) => hub.publishOne(data),
        concurrency: PUBLISHERS,
        maxDurationMs: ms,
        gate: () => gate.open(),
      });
      current = publisher;
      return publisher;
    };
    const warm = loop(WARMUP_MS[mode]);
    await sleep(WARMUP_MS[mode]);
    await warm.stop();
    sentBefore += warm.sent();
    await load.reset();
    const cpu0 = hub.cpuMs();
    const measured = loop(WINDOW_MS[mode]);
    await sleep(WINDOW_MS[mode]);
    const stats = await load.stats();
    const summary = await measured.stop();
    sentBefore += measured.sent();
    current = undefined;
    return {
      workers,
      subscribers: FANOUT_SUBSCRIBERS,
      opened: opened.open,
      deliveredPerSecond: stats.deliveriesPerSecond,
      published: summary.published,
      publishErrors: summary.errors,
      latency: stats.latency,
      serverCores: (hub.cpuMs() - cpu0) / stats.elapsedMs,
      clientCores: stats.cpuCores,
      rss: rssOfHub(hub),
    };
  } finally {
    await load.close();
    await hub.stop();
  }
}

interface HoldResult {
  readonly subscribers: number;
  readonly workers: number;
  readonly open: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly rampMs: number;
  readonly eventsPublished: number;
  readonly deliveriesExpected: number;
  readonly deliveriesReceived: number;
  /** Subscribers per worker, from each worker's /healthz. */
  readonly perWorker: Record<string, number>;
  readonly rss: ProcessRss[];
  readonly serverRssBytes: number;
}

/** Subscribers each worker holds, asking `/healthz` on fresh connections until each answered. */
async function subscribersPerWorker(url: string, workers: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < workers * 10 && Object.keys(seen).length < workers; i++) {
    const response = await fetch(`${url}/healthz`, { headers: { Connection: 'close' } });
    const health = (await response.json()) as { worker?: number; subscribers: number };
    seen[String(health.worker ?? 0)] = health.subscribers;
  }
  return seen;
}

async function hold(context: BenchContext): Promise<HoldResult> {
  const hub = await startAndon({
    name: `andon --workers ${HOLD.workers}`,
    args: ['--workers', String(HOLD.workers), '--host', '0.0.0.0'],
    log: context.log,
  });
  const start = performance.now();
  const load = await startSpreadLoad({
    port: Number(new URL(hub.url).port),
    path: hub.subscribePath,
    connections: HOLD.subscribers,
    destinations: HOLD.destinations,
    rampPerSecond: HOLD.rampPerSecond,
  });
  try {
    context.log(
      `workers: opening ${formatCount(HOLD.subscribers)} subscribers over ${HOLD.workers} workers`,
    );
    // A load that does not settle in time is reported as it stands, not thrown.
    await load.ready().catch((error: unknown) => context.log(`workers: ${String(error)}`));
    const rampMs = performance.now() - start;
    const { open } = await load.stats();
    const perWorker = await subscribersPerWorker(hub.url, HOLD.workers);
    const rss = rssOfHub(hub);
    const before = load.delivered();
    await hub.publish(HOLD.events, undefined, 1);
    const expected = open * HOLD.events;
    // Every subscriber gets each event; stop waiting once all arrived or nothing moved for 10 s.
    let last = -1;
    let still = performance.now();
    while (load.delivered() - before < expected) {
      const now = load.delivered();
      if (now !== last) {
        last = now;
        still = performance.now();
      } else if (performance.now() - still > 10_000) break;
      await sleep(50);
    }
    const stats = await load.stats();
    return {
      subscribers: HOLD.subscribers,
      workers: HOLD.workers,
      open: stats.open,
      errors: stats.errors,
      errorSamples: stats.errorSamples,
      rampMs,
      eventsPublished: HOLD.events,
      deliveriesExpected: expected,
      deliveriesReceived: load.delivered() - before,
      perWorker,
      rss,
      serverRssBytes: rss.reduce((sum, p) => sum + p.bytes, 0),
    };
  } finally {
    await load.close();
    await hub.stop();
  }
}

function rssCell(rss: readonly ProcessRss[]): string {
  const workers = rss.filter((p) => p.role !== 'primary').map((p) => formatBytes(p.bytes));
  const primary = rss.find((p) => p.role === 'primary');
  return primary === undefined
    ? workers.join(', ')
    : `${formatBytes(primary.bytes)} + ${workers.join(', ')}`;
}

function fanoutTable(rows: readonly FanoutRow[]): Table {
  const single = rows.find((r) => r.workers === 1)?.deliveredPerSecond ?? 0;
  return {
    title: `Fan-out at saturation, ${formatCount(FANOUT_SUBSCRIBERS)} subscribers on one topic, full hub path, memory store`,
    columns: [
      'workers',
      'delivered/s',
      'vs 1 worker',
      'p50',
      'p99',
      'max',
      'hub CPU',
      'load CPU',
      'RSS (primary + workers)',
    ],
    rows: rows.map((r) => [
      String(r.workers),
      formatCount(r.deliveredPerSecond),
      single > 0 ? formatRatio(r.deliveredPerSecond / single) : '–',
      formatDuration(r.latency.p50),
      formatDuration(r.latency.p99),
      formatDuration(r.latency.max),
      `${r.serverCores.toFixed(2)} cores`,
      `${r.clientCores.toFixed(2)} cores`,
      rssCell(r.rss),
    ]),
  };
}

function holdTable(r: HoldResult): Table {
  return {
    title: `${formatCount(r.subscribers)} concurrent subscribers, ${r.workers} workers`,
    columns: ['connected', 'failed', 'ramp', 'per worker', 'deliveries', 'RSS (primary + workers)'],
    rows: [
      [
        `${formatCount(r.open)} of ${formatCount(r.subscribers)}`,
        formatCount(r.errors),
        formatDuration(r.rampMs),
        Object.values(r.perWorker).map(formatCount).join(', '),
        `${formatCount(r.deliveriesReceived)} of ${formatCount(r.deliveriesExpected)}`,
        rssCell(r.rss),
      ],
    ],
  };
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const rows: FanoutRow[] = [];
  for (const workers of WORKER_COUNTS) rows.push(await fanout(context, workers));
  const tables: Table[] = [fanoutTable(rows)];
  const single = rows[0]!.deliveredPerSecond;
  const best = rows[rows.length - 1]!;
  const notes = [
    `Closed-loop publishers (HTTP POST, ${PUBLISHERS} in flight) paced by a flow gate: at most ${LAG_EVENTS} events per subscriber published but not yet received, so the figure is what the hub delivers, not what it buffers.`,
    'With workers the primary holds the memory store: a publish taken by a worker is appended over IPC, and the primary sends each tick\u2019s events to every worker in one message; each worker serializes them once for its own subscribers.',
    'The load client (raw sockets, two processes) shares the two cores with the hub: its CPU is shown beside the hub\u2019s.',
    `2 workers deliver ${formatRatio(best.deliveredPerSecond / single)} of one process (target \u2265 1.6\u00d7).`,
    `Cores busy, hub + load client, of ${availableParallelism()}: ${rows
      .map((r) => `${r.workers} worker(s) ${(r.serverCores + r.clientCores).toFixed(2)}`)
      .join(', ')}. When they add up to every core, more workers only share the same cores.`,
    `The most any number of workers could deliver here: ${availableParallelism()} cores \u00f7 (hub + load client CPU per delivery of one process, ${(((rows[0]!.serverCores + rows[0]!.clientCores) * 1e6) / single).toFixed(2)} \u00b5s) = ${formatCount((availableParallelism() * single) / (rows[0]!.serverCores + rows[0]!.clientCores))}/s, ${formatRatio(availableParallelism() / (rows[0]!.serverCores + rows[0]!.clientCores))} of one process, with perfect scaling: the load client's own cost per delivery does not shrink when the hub is split.`,
    `Hub CPU per delivery: ${rows
      .map(
        (r) =>
          `${r.workers} worker(s) ${((r.serverCores * 1e6) / r.deliveredPerSecond).toFixed(1)} \u00b5s`,
      )
      .join(
        ', ',
      )}. One process batches more: while it writes to all 10,000 sockets the next publishes wait, then arrive in one tick and go out in one write per socket; each worker writes to half as many sockets, so fewer events meet in a tick, and five busy processes share two cores.`,
  ];
  let holdResult: HoldResult | undefined;
  if (context.full) {
    holdResult = await hold(context);
    tables.push(holdTable(holdResult));
    notes.push(
      `60k: one load process per destination address (${HOLD.destinations.join(', ')}; the hub listens on 0.0.0.0), ramped at ${formatCount(HOLD.rampPerSecond)}/s in all; then ${HOLD.events} events published, each to be received by every subscriber. Source addresses would not do: past ~28,000 sockets in all, binding one with port 0 takes milliseconds (see bench/lib/spread-load.ts).`,
    );
    if (holdResult.errorSamples.length > 0) {
      notes.push(`Connection errors: ${holdResult.errorSamples.slice(0, 3).join('; ')}`);
    }
  }
  return { tables, notes, data: { fanout: rows, hold: holdResult } };
}

export const workers: Scenario = {
  name: 'workers',
  title: 'Both cores: andon serve --workers',
  description:
    'Fan-out at saturation with 10,000 subscribers through the full hub path, one process against 2 node:cluster workers sharing the memory store held by the primary; with --full, 60,000 concurrent subscribers over 4 workers.',
  run,
};
