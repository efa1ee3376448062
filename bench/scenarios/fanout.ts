/**
 * (a) Fan-out at saturation: 1,000 and 10,000 subscribers on one topic,
 * ~110-byte events published as fast as each peer absorbs them, deliveries
 * per second counted by the load client over a fixed window after warm-up.
 *
 * "As fast as it absorbs": {@link PUBLISHERS} closed-loop HTTP publishers
 * (each sends its next event when the previous one is accepted), held back
 * by flow control when subscribers have not yet received more than
 * {@link LAG_EVENTS} events each, so no server buffers without bound and
 * every peer is driven at what it delivers. Every peer gets the same
 * publishers, subscribers and window, in the same run.
 */

import { startLoad } from '../lib/load/load.js';
import { acquireBenchLock } from '../lib/load/lock.js';
import { FlowGate, startClosedLoop } from '../lib/load/publishers.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import {
  eachPeer,
  formatCores,
  formatShare,
  machineBusy,
  mean,
  ratioCell,
  sleep,
} from '../lib/side-by-side.js';
import { formatCount, type Table } from '../lib/table.js';
import type { Peer, PeerName } from '../peers/index.js';

/** Closed-loop publishers, the same for every peer. */
export const PUBLISHERS = 16;
/** Events per subscriber published but not yet received before publishing waits. */
export const LAG_EVENTS = 128;

const MODE = {
  // Quick mode keeps to the 10,000-subscriber case the targets are set at.
  quick: {
    sizes: [10_000],
    runs: 1,
    warmupMs: 750,
    windowMs: 2_000,
    rampPerSecond: 10_000,
    peers: ['raw-per-event', 'raw-coalesced', 'better-sse', 'nchan', 'andon'],
  },
  full: {
    sizes: [1_000, 10_000],
    runs: 2,
    warmupMs: 2_000,
    windowMs: 5_000,
    rampPerSecond: 2_000,
    peers: ['raw-per-event', 'raw-coalesced', 'better-sse', 'nchan', 'nchan-2w', 'andon'],
  },
} as const satisfies Record<
  string,
  {
    sizes: readonly number[];
    runs: number;
    warmupMs: number;
    windowMs: number;
    rampPerSecond: number;
    peers: readonly PeerName[];
  }
>;

/** One window's figures for one peer at one size. */
export interface FanoutMeasure {
  readonly peer: string;
  readonly subscribers: number;
  readonly run: number;
  readonly deliveriesPerSecond: number;
  readonly publishesPerSecond: number;
  readonly bytesPerEvent: number;
  /** Cores busy in the server, the load client, and the whole machine (0 to 1) in the window. */
  readonly serverCores: number;
  readonly clientCores: number;
  readonly machineBusy: number;
  /** Latency under saturation: mostly the flow-control lag, so for the JSON only. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly connectErrors: number;
  readonly closedByServer: number;
  readonly publishErrors: number;
  readonly flowStalls: number;
  readonly errorSamples: readonly string[];
}

/** Measures one peer at one size: subscribe, saturate, count. */
export async function measureFanout(
  peer: Peer,
  subscribers: number,
  run: number,
  timing: { warmupMs: number; windowMs: number; rampPerSecond: number },
): Promise<FanoutMeasure> {
  const load = await startLoad({
    url: `${peer.url}${peer.subscribePath}`,
    connections: subscribers,
    rampPerSecond: timing.rampPerSecond,
  });
  try {
    await load.ready();
    let sent = () => 0;
    const gate = new FlowGate(subscribers, LAG_EVENTS, () => sent(), load.delivered);
    const publisher = startClosedLoop({
      publishOne: peer.publishOne,
      concurrency: PUBLISHERS,
      maxDurationMs: timing.warmupMs + timing.windowMs + 10_000,
      gate: () => gate.open(),
    });
    sent = publisher.sent;
    await sleep(timing.warmupMs);
    await load.reset();
    const busy = machineBusy();
    const cpuBefore = peer.cpuMs();
    const sentBefore = publisher.sent();
    await sleep(timing.windowMs);
    const stats = await load.stats();
    const serverMs = peer.cpuMs() - cpuBefore;
    const machine = busy();
    const published = publisher.sent() - sentBefore;
    const summary = await publisher.stop();
    return {
      peer: peer.name,
      subscribers,
      run,
      deliveriesPerSecond: stats.deliveriesPerSecond,
      publishesPerSecond: (published / stats.elapsedMs) * 1000,
      bytesPerEvent: stats.events > 0 ? stats.bytes / stats.events : Number.NaN,
      serverCores: serverMs / stats.elapsedMs,
      clientCores: stats.cpuCores,
      machineBusy: machine,
      latencyP50Ms: stats.latency.p50,
      latencyP99Ms: stats.latency.p99,
      connectErrors: stats.errors - stats.closedByServer,
      closedByServer: stats.closedByServer,
      publishErrors: summary.errors,
      flowStalls: gate.stalls,
      errorSamples: [...stats.errorSamples, ...(summary.firstError ? [summary.firstError] : [])],
    };
  } finally {
    await load.close();
  }
}

function table(subscribers: number, measures: readonly FanoutMeasure[], runs: number): Table {
  const byPeer = new Map<string, FanoutMeasure[]>();
  for (const m of measures) {
    if (m.subscribers !== subscribers) continue;
    const list = byPeer.get(m.peer) ?? [];
    list.push(m);
    byPeer.set(m.peer, list);
  }
  const andon = mean((byPeer.get('andon') ?? []).map((m) => m.deliveriesPerSecond));
  const runColumns = Array.from({ length: runs }, (_, i) => `run ${i + 1} deliveries/s`);
  const rows = [...byPeer.entries()].map(([peer, list]) => {
    const average = mean(list.map((m) => m.deliveriesPerSecond));
    const errors = list.reduce(
      (sum, m) => sum + m.connectErrors + m.closedByServer + m.publishErrors,
      0,
    );
    return [
      peer,
      ...Array.from({ length: runs }, (_, i) => {
        const m = list.find((x) => x.run === i + 1);
        return m === undefined ? '—' : formatCount(m.deliveriesPerSecond);
      }),
      peer === 'andon' ? '' : ratioCell(andon, average),
      formatCount(mean(list.map((m) => m.publishesPerSecond)) ?? Number.NaN),
      formatCores(mean(list.map((m) => m.serverCores)) ?? Number.NaN),
      formatCores(mean(list.map((m) => m.clientCores)) ?? Number.NaN),
      formatShare(mean(list.map((m) => m.machineBusy)) ?? Number.NaN),
      formatCount(mean(list.map((m) => m.bytesPerEvent)) ?? Number.NaN),
      formatCount(errors),
    ];
  });
  return {
    title: `Fan-out at saturation, ${formatCount(subscribers)} subscribers on one topic`,
    columns: [
      'peer',
      ...runColumns,
      'andon ÷ peer',
      'events/s',
      'server CPU',
      'client CPU',
      'machine busy',
      'bytes/event',
      'errors',
    ],
    rows,
  };
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? MODE.full : MODE.quick;
  const release = await acquireBenchLock(context.log);
  const measures: FanoutMeasure[] = [];
  const failures: Record<string, string> = {};
  try {
    for (let r = 1; r <= mode.runs; r++) {
      const outcome = await eachPeer(mode.peers, { log: context.log }, async (peer) => {
        for (const size of mode.sizes) {
          context.log(`fanout run ${r}: ${peer.name}, ${formatCount(size)} subscribers`);
          const m = await measureFanout(peer, size, r, mode);
          context.log(
            `  ${formatCount(m.deliveriesPerSecond)} deliveries/s (server ${formatCores(m.serverCores)}, client ${formatCores(m.clientCores)})`,
          );
          measures.push(m);
        }
      });
      for (const [name, message] of outcome.failures) failures[`${name} (run ${r})`] = message;
    }
  } finally {
    release();
  }
  const notes = [
    ...(context.full
      ? []
      : [
          'Quick mode measures 10,000 subscribers only; --full adds 1,000, a second run and nginx with two workers.',
        ]),
    `${PUBLISHERS} closed-loop HTTP publishers per peer (keep-alive), held back while subscribers lag more than ${LAG_EVENTS} events each; ${mode.warmupMs} ms warm-up, then deliveries counted by the load client over ${mode.windowMs} ms.`,
    '"andon ÷ peer" divides the mean deliveries/s of Andon by the peer\'s: above 1× Andon delivers more.',
    'Server and client CPU are shares of one core; the machine has two, shared by the server, the load client and the publishers.',
    'Andon runs the full hub path: Mercure subscribe with a topic selector, publish over HTTP POST with a JWT, memory store.',
    ...Object.entries(failures).map(([peer, message]) => `${peer} failed: ${message}`),
  ];
  return {
    tables: mode.sizes.map((size) => table(size, measures, mode.runs)),
    notes,
    data: { publishers: PUBLISHERS, lagEvents: LAG_EVENTS, mode, measures, failures },
  };
}

export const fanout: Scenario = {
  name: 'fanout',
  title: 'Fan-out at saturation: deliveries per second, side by side',
  description:
    'One topic, 1,000 and 10,000 subscribers held by the raw-socket load client, ~110-byte events published over HTTP as fast as each server absorbs them; deliveries per second counted by the subscribers, for Andon (full hub path) and its peers in the same run: two node:http broadcasters (per-event writes, per-tick coalesced writes), better-sse, and nginx + nchan.',
  run,
};
