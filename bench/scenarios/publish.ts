/**
 * Publish throughput over HTTP: concurrent publishers POST Mercure updates
 * on keep-alive connections to `andon serve`, each sending its next update
 * when the previous one was answered, with the memory store and with SQLite
 * in its `commit` (fsync at every group commit) and `batch` durability. A
 * 200 means the update is stored as durably as the mode promises, so the
 * POST latency includes the commit.
 */
import { join } from 'node:path';
import { hubKey, hubPublisher } from '../lib/hub-publisher.js';
import type { LatencySummary } from '../lib/load/histogram.js';
import { acquireBenchLock } from '../lib/load/lock.js';
import { startClosedLoop } from '../lib/load/publishers.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { formatCount, formatDuration } from '../lib/table.js';
import { startAndon } from '../peers/andon.js';

/** Publishes in flight: one keep-alive connection each. */
const CONCURRENCY = { quick: [32], full: [1, 8, 32, 128] } as const;
/** Each measurement, in ms, after a warm-up of the same load. */
const WINDOW_MS = { quick: 2_500, full: 10_000 } as const;
const WARMUP_MS = { quick: 500, full: 2_000 } as const;

/** The topic every update goes to. */
const TOPIC = 'https://example.com/bench/publish';

interface StoreConfig {
  readonly label: string;
  readonly store: (scratch: string, index: number) => string;
  readonly args: readonly string[];
}

const STORES: readonly StoreConfig[] = [
  { label: 'memory', store: () => 'memory', args: [] },
  {
    label: 'sqlite, commit',
    store: (scratch, i) => `sqlite:${join(scratch, `publish-${i}.db`)}`,
    args: ['--durability', 'commit'],
  },
  {
    label: 'sqlite, batch',
    store: (scratch, i) => `sqlite:${join(scratch, `publish-${i}.db`)}`,
    args: ['--durability', 'batch'],
  },
];

interface Measured {
  readonly store: string;
  readonly concurrency: number;
  readonly published: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly updatesPerSecond: number;
  readonly latency: LatencySummary;
  /** Cores the hub kept busy. */
  readonly serverCores: number;
  /** Cores the publishing harness kept busy (it shares the machine). */
  readonly clientCores: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(
  context: BenchContext,
  config: StoreConfig,
  index: number,
  concurrency: number,
): Promise<Measured> {
  const mode = context.full ? 'full' : 'quick';
  const { key, args } = hubKey();
  const hub = await startAndon({
    store: config.store(context.scratch, index),
    args: [...config.args, ...args],
    log: context.log,
  });
  const publisher = await hubPublisher(hub.url, key, concurrency);
  const publishOne = (data: string) => publisher.publish(TOPIC, data);
  try {
    const warm = startClosedLoop({ publishOne, concurrency, maxDurationMs: WARMUP_MS[mode] });
    await sleep(WARMUP_MS[mode]);
    await warm.stop();
    const cpu0 = hub.cpuMs();
    const client0 = process.cpuUsage();
    const start = performance.now();
    const loop = startClosedLoop({ publishOne, concurrency, maxDurationMs: WINDOW_MS[mode] });
    await sleep(WINDOW_MS[mode]);
    const summary = await loop.stop();
    const elapsed = performance.now() - start;
    const client = process.cpuUsage(client0);
    return {
      store: config.label,
      concurrency,
      published: summary.published,
      errors: summary.errors,
      firstError: summary.firstError,
      updatesPerSecond: summary.published / (elapsed / 1000),
      latency: summary.publishLatency,
      serverCores: (hub.cpuMs() - cpu0) / elapsed,
      clientCores: (client.user + client.system) / 1000 / elapsed,
    };
  } finally {
    publisher.close();
    await hub.stop();
  }
}

async function measureAll(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? 'full' : 'quick';
  const results: Measured[] = [];
  let index = 0;
  for (const config of STORES) {
    for (const concurrency of CONCURRENCY[mode]) {
      context.log(`publish: ${config.label}, ${concurrency} publishers`);
      results.push(await measure(context, config, index++, concurrency));
    }
  }
  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  return {
    tables: [
      {
        title: `Mercure POST over keep-alive connections, one update each, ${formatDuration(WINDOW_MS[mode])} per row`,
        columns: [
          'store',
          'publishers',
          'updates/s',
          'POST p50',
          'POST p99',
          'POST max',
          'hub CPU',
          'harness CPU',
        ],
        rows: results.map((r) => [
          r.store,
          String(r.concurrency),
          formatCount(r.updatesPerSecond),
          formatDuration(r.latency.p50),
          formatDuration(r.latency.p99),
          formatDuration(r.latency.max),
          `${r.serverCores.toFixed(2)} cores`,
          `${r.clientCores.toFixed(2)} cores`,
        ]),
      },
    ],
    notes: [
      'Each publisher POSTs one update (form-encoded topic and ~52 bytes of data, a JWT in the Authorization header) and sends the next when the 200 arrives; latency is request to response, measured in the harness.',
      'The hub has no subscribers: this is the publish path alone (parse, verify the token, authorize the topic, append to the store, answer). Every row is a fresh `andon serve` (and a fresh database file).',
      'commit = SQLite synchronous=FULL, the WAL fsynced at every group commit (the appends of one tick share it) before the 200; batch = synchronous=NORMAL (survives a crash of the process, not a power loss).',
      'The harness (node:http client) shares the two cores with the hub: its CPU is shown beside the hub\u2019s.',
      errors === 0
        ? 'Every publish was accepted.'
        : `${errors} publishes failed: ${results.find((r) => r.firstError)?.firstError}`,
    ],
    data: { windowMs: WINDOW_MS[mode], warmupMs: WARMUP_MS[mode], results },
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

/** The publish scenario. */
export const publish: Scenario = {
  name: 'publish',
  title: 'Publish throughput over HTTP: memory and SQLite stores',
  description:
    'Concurrent publishers POST Mercure updates on keep-alive connections to `andon serve`, each waiting for its answer before the next, with the memory store and the SQLite store in commit and batch durability: updates/s and the POST latency.',
  run,
};
