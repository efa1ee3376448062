/**
 * (b) Latency at a fixed rate below every peer's saturation: 10,000
 * subscribers on one topic, 2 events per second published on a schedule
 * (open loop), publish-to-receipt latency of every delivery: p50, p99, max.
 *
 * The publisher stamps each event with the wall clock when it sends the
 * POST; the load client reads the stamp at receipt. So the latency includes
 * the HTTP publish, the server's work and the fan-out to the last of the
 * 10,000 sockets, and the load client's own reading.
 */

import { startLoad } from '../lib/load/load.js';
import { acquireBenchLock } from '../lib/load/lock.js';
import { startFixedRate } from '../lib/load/publishers.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { eachPeer, formatCores, machineBusy, ratioCell, sleep } from '../lib/side-by-side.js';
import { formatCount, formatDuration, type Table } from '../lib/table.js';
import type { Peer, PeerName } from '../peers/index.js';

/** Events per second: far below every peer's saturation at 10,000 subscribers. */
export const EVENTS_PER_SECOND = 2;

const PEERS: readonly PeerName[] = [
  'raw-per-event',
  'raw-coalesced',
  'better-sse',
  'nchan',
  'andon',
];
const MODE = {
  quick: { subscribers: 10_000, durationMs: 2_000, rampPerSecond: 10_000, tailMs: 500 },
  full: { subscribers: 10_000, durationMs: 15_000, rampPerSecond: 2_000, tailMs: 1_000 },
} as const;

/** One peer's latency figures. */
export interface LatencyMeasure {
  readonly peer: string;
  readonly subscribers: number;
  readonly published: number;
  readonly deliveries: number;
  /** Deliveries expected: published × subscribers. */
  readonly expected: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  readonly publishP50Ms: number;
  readonly serverCores: number;
  readonly clientCores: number;
  readonly machineBusy: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
}

/** Measures one peer: subscribe, publish on a schedule, read the latency histogram. */
export async function measureLatency(
  peer: Peer,
  subscribers: number,
  durationMs: number,
  rampPerSecond: number,
  tailMs = 1_000,
): Promise<LatencyMeasure> {
  const load = await startLoad({
    url: `${peer.url}${peer.subscribePath}`,
    connections: subscribers,
    rampPerSecond,
  });
  try {
    await load.ready();
    // One event first: the first delivery warms code paths a steady stream has warm.
    await peer.publishOne('{"warmup":true}');
    await sleep(300);
    await load.reset();
    const busy = machineBusy();
    const cpuBefore = peer.cpuMs();
    const publisher = startFixedRate({
      publishOne: peer.publishOne,
      perSecond: EVENTS_PER_SECOND,
      durationMs,
    });
    await publisher.done;
    const summary = await publisher.stop();
    await sleep(tailMs);
    const stats = await load.stats();
    const serverMs = peer.cpuMs() - cpuBefore;
    return {
      peer: peer.name,
      subscribers,
      published: summary.published,
      deliveries: stats.events,
      expected: summary.published * stats.open,
      p50Ms: stats.latency.p50,
      p90Ms: stats.latency.p90,
      p99Ms: stats.latency.p99,
      p999Ms: stats.latency.p999,
      maxMs: stats.latency.max,
      meanMs: stats.latency.mean,
      publishP50Ms: summary.publishLatency.p50,
      serverCores: serverMs / stats.elapsedMs,
      clientCores: stats.cpuCores,
      machineBusy: busy(),
      errors: stats.errors + summary.errors,
      errorSamples: [...stats.errorSamples, ...(summary.firstError ? [summary.firstError] : [])],
    };
  } finally {
    await load.close();
  }
}

function table(measures: readonly LatencyMeasure[], subscribers: number): Table {
  const andon = measures.find((m) => m.peer === 'andon');
  return {
    title: `Latency at ${EVENTS_PER_SECOND} events/s to ${formatCount(subscribers)} subscribers (publish to receipt)`,
    columns: [
      'peer',
      'p50',
      'p99',
      'max',
      'andon p99 ÷ peer',
      'deliveries',
      'publish p50',
      'server CPU',
      'client CPU',
      'errors',
    ],
    rows: measures.map((m) => [
      m.peer,
      formatDuration(m.p50Ms),
      formatDuration(m.p99Ms),
      formatDuration(m.maxMs),
      m.peer === 'andon' ? '' : ratioCell(andon?.p99Ms, m.p99Ms),
      `${formatCount(m.deliveries)} of ${formatCount(m.expected)}`,
      formatDuration(m.publishP50Ms),
      formatCores(m.serverCores),
      formatCores(m.clientCores),
      formatCount(m.errors),
    ]),
  };
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? MODE.full : MODE.quick;
  const release = await acquireBenchLock(context.log);
  let outcome: Awaited<ReturnType<typeof eachPeer<LatencyMeasure>>>;
  try {
    outcome = await eachPeer(PEERS, { log: context.log }, async (peer) => {
      context.log(`latency: ${peer.name}, ${formatCount(mode.subscribers)} subscribers`);
      const m = await measureLatency(
        peer,
        mode.subscribers,
        mode.durationMs,
        mode.rampPerSecond,
        mode.tailMs,
      );
      context.log(`  p50 ${formatDuration(m.p50Ms)}, p99 ${formatDuration(m.p99Ms)}`);
      return m;
    });
  } finally {
    release();
  }
  const measures = [...outcome.results.values()];
  return {
    tables: [table(measures, mode.subscribers)],
    notes: [
      `Events published on a schedule (open loop) for ${mode.durationMs / 1000} s over HTTP keep-alive, each stamped when sent; every delivery's latency counted (a histogram within 0.8%).`,
      '"andon p99 ÷ peer" below 1× means Andon\'s p99 is lower (better).',
      ...[...outcome.failures].map(([peer, message]) => `${peer} failed: ${message}`),
    ],
    data: { eventsPerSecond: EVENTS_PER_SECOND, mode, measures },
  };
}

export const latency: Scenario = {
  name: 'latency',
  title: 'Latency at a fixed rate: publish to receipt, side by side',
  description: `10,000 subscribers on one topic, ${EVENTS_PER_SECOND} events per second published on a fixed schedule over HTTP (below every server's saturation); the load client reads the publish time carried in each event and records every delivery's latency: p50, p99 and max per server.`,
  run,
};
