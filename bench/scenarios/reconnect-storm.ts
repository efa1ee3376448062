/**
 * A reconnect storm: every subscriber of a hub comes back at once (a network
 * blip, a load balancer failing over) with the same Last-Event-ID, 1,000
 * updates behind. The hub must replay 1,000 updates to each, with no gap
 * and no duplicate, then carry them on live, without running out of memory.
 *
 * Measured: how long until every connection is open, until every one has
 * its 1,000 updates, the replay rate that makes, the hub's peak resident
 * memory, and how long a live update takes to reach them all afterwards.
 */
import { join } from 'node:path';
import { LISTEN_BACKLOG } from '../../src/server/server.js';
import { hubKey, hubPublisher } from '../lib/hub-publisher.js';
import { type LoadClient, type LoadStats, startLoad } from '../lib/load/load.js';
import { acquireBenchLock } from '../lib/load/lock.js';
import { timedPayload } from '../lib/load/payload.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { formatBytes, formatCount, formatDuration } from '../lib/table.js';
import { startAndon } from '../peers/andon.js';
import type { Peer } from '../peers/peer.js';

/** Subscribers that come back: fewer in quick mode, which must stay short. */
const SUBSCRIBERS = { quick: 5_000, full: 10_000 } as const;
/** Updates each missed. */
const BEHIND = 1_000;
/** Connections opened per second: as fast as the load client goes (it caps pending connects). */
const RAMP_PER_SECOND = 50_000;
/** Most time for the whole storm to settle, in ms, before the run is called failed. */
const STORM_TIMEOUT_MS = 120_000;
/** How often progress and the hub's memory are sampled, in ms. */
const SAMPLE_MS = 20;
const HUB_PATH = '/.well-known/mercure';
const TOPIC = 'https://example.com/bench/storm';

/** The id of the update the subscribers saw last. */
const LAST_SEEN_ID = 'urn:bench:storm-last-seen';
/** Publishes in flight while filling the history. */
const FILL_CONCURRENCY = 16;

interface StoreConfig {
  readonly label: string;
  readonly store: (scratch: string) => string;
  readonly args: readonly string[];
}

const STORES: Record<'quick' | 'full', readonly StoreConfig[]> = {
  quick: [{ label: 'memory', store: () => 'memory', args: [] }],
  full: [
    { label: 'memory', store: () => 'memory', args: [] },
    {
      label: 'sqlite, commit',
      store: (scratch) => `sqlite:${join(scratch, 'storm.db')}`,
      args: ['--durability', 'commit'],
    },
  ],
};

interface Storm {
  readonly store: string;
  readonly subscribers: number;
  /** From the first connection settling to the last one settled (open, or refused), in ms. */
  readonly allSettledMs: number;
  /** Connections refused: reset by the kernel when the hub's accept queue was full. */
  readonly refused: number;
  /** From the first connection settling to every subscriber having its {@link BEHIND} updates, in ms. */
  readonly caughtUpMs: number;
  /** Updates replayed per second over {@link Storm.caughtUpMs}. */
  readonly replayedPerSecond: number;
  /** A live update published once all caught up: until all had it, in ms. */
  readonly liveAfterMs: number;
  readonly rssBeforeBytes: number;
  readonly rssPeakBytes: number;
  readonly rssAfterBytes: number;
  /** Cores the hub kept busy during the storm. */
  readonly serverCores: number;
  /** Cores the load client kept busy during the storm. */
  readonly clientCores: number;
  readonly received: number;
  readonly expected: number;
  /** Subscribers the hub dropped after opening them: none is expected. */
  readonly closedByServer: number;
  readonly errorSamples: readonly string[];
}

/** Polls `done` every {@link SAMPLE_MS}, sampling the hub's memory; resolves with the time it took. */
async function until(
  done: () => boolean,
  hub: Peer,
  peak: { rss: number },
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    peak.rss = Math.max(peak.rss, hub.rssBytes());
    if (done()) return performance.now() - start;
    if (performance.now() - start > timeoutMs)
      throw new Error(`reconnect-storm: ${what} timed out`);
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  }
}

async function storm(
  context: BenchContext,
  config: StoreConfig,
  subscribers: number,
): Promise<Storm> {
  const { key, args } = hubKey();
  const hub = await startAndon({
    store: config.store(context.scratch),
    args: [...config.args, ...args],
    log: context.log,
  });
  const publisher = await hubPublisher(hub.url, key, FILL_CONCURRENCY);
  let load: LoadClient | undefined;
  try {
    context.log(`reconnect-storm: ${config.label}: filling ${BEHIND} updates of history`);
    await publisher.publish(TOPIC, timedPayload(0), LAST_SEEN_ID);
    let n = 0;
    await Promise.all(
      Array.from({ length: FILL_CONCURRENCY }, async () => {
        while (n < BEHIND) await publisher.publish(TOPIC, timedPayload(++n));
      }),
    );
    const peak = { rss: hub.rssBytes() };
    const rssBeforeBytes = peak.rss;
    context.log(
      `reconnect-storm: ${config.label}: ${formatCount(subscribers)} subscribers come back ${BEHIND} updates behind`,
    );
    load = await startLoad({
      url: `${hub.url}${HUB_PATH}?topic=${encodeURIComponent(TOPIC)}`,
      connections: subscribers,
      headers: { 'Last-Event-ID': LAST_SEEN_ID },
      rampPerSecond: RAMP_PER_SECOND,
    });
    const client = load;
    // The clock starts with the first connection: not with the load workers' start-up.
    await until(
      () => client.progress().settled > 0,
      hub,
      peak,
      STORM_TIMEOUT_MS,
      'first connection',
    );
    const cpu0 = hub.cpuMs();
    await client.reset();
    const started = performance.now();
    let allSettledMs = Number.NaN;
    // Connections the kernel refused (a full accept queue) get nothing: the rest are owed BEHIND each.
    const owed = () => client.progress().open * BEHIND;
    const caughtUpMs = await until(
      () => {
        const p = client.progress();
        if (Number.isNaN(allSettledMs) && p.settled >= subscribers) {
          allSettledMs = performance.now() - started;
        }
        return p.settled >= subscribers && p.events >= owed();
      },
      hub,
      peak,
      STORM_TIMEOUT_MS,
      'catching up',
    );
    const stats: LoadStats = await client.stats();
    const serverCores = (hub.cpuMs() - cpu0) / stats.elapsedMs;
    const open = stats.open;
    context.log(`reconnect-storm: ${config.label}: one live update`);
    const live = performance.now();
    await publisher.publish(TOPIC, timedPayload(BEHIND + 1));
    await until(
      () => client.progress().events >= open * (BEHIND + 1),
      hub,
      peak,
      STORM_TIMEOUT_MS,
      'the live update',
    );
    const liveAfterMs = performance.now() - live;
    // A duplicate anywhere would show as more than owed: give strays time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await client.stats();
    const received = client.progress().events;
    return {
      store: config.label,
      subscribers,
      allSettledMs,
      caughtUpMs,
      refused: after.errors - after.closedByServer,
      replayedPerSecond: (open * BEHIND) / (caughtUpMs / 1000),
      liveAfterMs,
      rssBeforeBytes,
      rssPeakBytes: peak.rss,
      rssAfterBytes: hub.rssBytes(),
      serverCores,
      clientCores: stats.cpuCores,
      received,
      expected: open * (BEHIND + 1),
      closedByServer: after.closedByServer,
      errorSamples: after.errorSamples,
    };
  } finally {
    publisher.close();
    await load?.close();
    await hub.stop();
  }
}

async function measureAll(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? 'full' : 'quick';
  const results: Storm[] = [];
  for (const config of STORES[mode]) results.push(await storm(context, config, SUBSCRIBERS[mode]));
  const problems = results.filter((r) => r.closedByServer > 0 || r.received !== r.expected);
  return {
    tables: [
      {
        title: `${formatCount(SUBSCRIBERS[mode])} subscribers reconnect at once, each ${formatCount(BEHIND)} updates behind`,
        columns: [
          'store',
          'refused',
          'all settled',
          'all caught up',
          'replayed/s',
          'live update to all',
          'hub RSS before',
          'hub RSS peak',
          'hub RSS after',
          'hub CPU',
          'client CPU',
        ],
        rows: results.map((r) => [
          r.store,
          formatCount(r.refused),
          formatDuration(r.allSettledMs),
          formatDuration(r.caughtUpMs),
          formatCount(r.replayedPerSecond),
          formatDuration(r.liveAfterMs),
          formatBytes(r.rssBeforeBytes),
          formatBytes(r.rssPeakBytes),
          formatBytes(r.rssAfterBytes),
          `${r.serverCores.toFixed(2)} cores`,
          `${r.clientCores.toFixed(2)} cores`,
        ]),
      },
    ],
    notes: [
      `The hub (andon serve) holds ${formatCount(BEHIND + 1)} updates on one topic, ~110 bytes each on the wire; every subscriber sends Last-Event-ID of the first, so each is owed the ${formatCount(BEHIND)} after it. The load client opens the connections as fast as it can (at most 2,000 pending per worker process).`,
      'Times run from the first connection settling. "all caught up": every connection has settled and together the open ones received open × behind updates (nothing is published meanwhile, so that is each of them fully replayed). "live update to all": then one update is published, and the time until every open subscriber had it.',
      `refused: connections reset by the kernel because the hub\u2019s accept queue (its listen backlog, ${LISTEN_BACKLOG}) overflowed while it was busy replaying; they receive nothing. A browser\u2019s EventSource would retry them after the \`retry\` delay; the load client does not.`,
      'The SQLite store keeps the last 16,384 events it decoded, so 10,000 subscribers replaying the same 1,000 rows share each event and its bytes; what is left is reading the rows, synchronously, once per subscriber (the memory store has no rows to read).',
      `Hub RSS is sampled every ${SAMPLE_MS} ms (peak: the highest sample); "after" is once the live update arrived.`,
      problems.length === 0
        ? 'Every subscriber received exactly what it was owed (no drop, no duplicate in the totals) and stayed connected.'
        : `Problems: ${problems.map((p) => `${p.store}: ${p.received} of ${p.expected} updates, ${p.closedByServer} dropped (${p.errorSamples.join('; ')})`).join(' / ')}`,
    ],
    data: { behind: BEHIND, results },
  };
}

/** Runs holding the machine's benchmark lock, so no other benchmark measures at the same time. */
async function run(context: BenchContext): Promise<ScenarioResult> {
  const release = await acquireBenchLock(context.log);
  try {
    return await measureAll(context);
  } finally {
    release();
  }
}

/** The reconnect-storm scenario. */
export const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  title: 'Reconnect storm: subscribers come back 1,000 updates behind',
  description: `${formatCount(SUBSCRIBERS.full)} subscribers (${formatCount(SUBSCRIBERS.quick)} in quick mode) reconnect to andon serve at once with a Last-Event-ID ${formatCount(BEHIND)} updates behind: time until all are open and caught up, replayed updates/s, the hub's peak RSS, and a live update's time to all of them afterwards.`,
  run,
};
