/**
 * (c) Memory per idle connection: each server's resident memory (all its
 * processes) before and after 10,000 subscribers connect and sit idle,
 * divided by 10,000. Nothing is published; the figure is what holding a
 * connection costs (socket buffers in user space, objects, timers).
 */

import { startLoad } from '../lib/load/load.js';
import { acquireBenchLock } from '../lib/load/lock.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { eachPeer, ratioCell, sleep } from '../lib/side-by-side.js';
import { formatBytes, formatCount, type Table } from '../lib/table.js';
import type { Peer, PeerName } from '../peers/index.js';

/** The target the issue sets for Andon. */
export const TARGET_BYTES_PER_CONNECTION = 12 * 1024;
/** RSS samples taken for each reading; the median is kept (GC makes single readings noisy). */
const SAMPLES = 5;
const SAMPLE_GAP_MS = 100;

const PEERS: readonly PeerName[] = [
  'raw-per-event',
  'raw-coalesced',
  'better-sse',
  'nchan',
  'andon',
];
const MODE = {
  quick: { connections: 10_000, settleMs: 500, rampPerSecond: 10_000 },
  full: { connections: 10_000, settleMs: 3_000, rampPerSecond: 2_000 },
} as const;

/** One peer's reading. */
export interface IdleRssMeasure {
  readonly peer: string;
  readonly connections: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  readonly bytesPerConnection: number;
  readonly errors: number;
}

async function medianRss(peer: Peer): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    samples.push(peer.rssBytes());
    await sleep(SAMPLE_GAP_MS);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Measures one peer: RSS, connect `connections` idle subscribers, settle, RSS again. */
export async function measureIdleRss(
  peer: Peer,
  connections: number,
  settleMs: number,
  rampPerSecond: number,
): Promise<IdleRssMeasure> {
  await sleep(settleMs);
  const before = await medianRss(peer);
  const load = await startLoad({
    url: `${peer.url}${peer.subscribePath}`,
    connections,
    rampPerSecond,
  });
  try {
    const ready = await load.ready();
    await sleep(settleMs);
    const after = await medianRss(peer);
    return {
      peer: peer.name,
      connections: ready.open,
      rssBeforeBytes: before,
      rssAfterBytes: after,
      bytesPerConnection: ready.open > 0 ? (after - before) / ready.open : Number.NaN,
      errors: ready.errors,
    };
  } finally {
    await load.close();
  }
}

function table(measures: readonly IdleRssMeasure[], connections: number): Table {
  const andon = measures.find((m) => m.peer === 'andon');
  return {
    title: `Resident memory per idle connection, ${formatCount(connections)} connections`,
    columns: ['peer', 'per connection', 'andon ÷ peer', 'RSS before', 'RSS after', 'errors'],
    rows: measures.map((m) => [
      m.peer,
      formatBytes(Math.round(m.bytesPerConnection)),
      m.peer === 'andon' ? '' : ratioCell(andon?.bytesPerConnection, m.bytesPerConnection),
      formatBytes(m.rssBeforeBytes),
      formatBytes(m.rssAfterBytes),
      formatCount(m.errors),
    ]),
  };
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? MODE.full : MODE.quick;
  const release = await acquireBenchLock(context.log);
  let outcome: Awaited<ReturnType<typeof eachPeer<IdleRssMeasure>>>;
  try {
    outcome = await eachPeer(PEERS, { log: context.log }, async (peer) => {
      context.log(`idle-rss: ${peer.name}, ${formatCount(mode.connections)} connections`);
      const m = await measureIdleRss(peer, mode.connections, mode.settleMs, mode.rampPerSecond);
      context.log(`  ${formatBytes(Math.round(m.bytesPerConnection))} per connection`);
      return m;
    });
  } finally {
    release();
  }
  const measures = [...outcome.results.values()];
  return {
    tables: [table(measures, mode.connections)],
    notes: [
      `RSS is VmRSS summed over the server's processes (nginx: master and worker), the median of ${SAMPLES} readings, ${mode.settleMs} ms after the last connection opened; no garbage collection is forced.`,
      `Andon's target: at most ${formatBytes(TARGET_BYTES_PER_CONNECTION)} per idle connection. "andon ÷ peer" below 1× means Andon uses less.`,
      ...[...outcome.failures].map(([peer, message]) => `${peer} failed: ${message}`),
    ],
    data: { mode, measures },
  };
}

export const idleRss: Scenario = {
  name: 'idle-rss',
  title: 'Memory per idle connection, side by side',
  description:
    "Each server's resident memory before and after 10,000 SSE subscribers connect and stay idle (nothing published), divided by the connections: what holding one screen costs.",
  run,
};
