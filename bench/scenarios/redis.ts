/**
 * Redis: what a cluster of hubs on one Redis delivers, and what Redis costs
 * per event against the SQLite store.
 *
 * (1) Store appends in this process: 64 concurrent publishers, then one
 * publisher at a time, against memory, SQLite (`commit`, `batch`) and Redis
 * (append-only file synced every second, and at every write). CPU per append
 * counts this process and, for Redis, the Redis server too.
 *
 * (2) Fan-out at saturation through the full hub path with 10,000 subscribers
 * spread evenly over 1, 2 and 3 `andon serve --store redis://` nodes (HTTP
 * publishes round-robin over the nodes), beside one node on memory and on
 * SQLite. Every process shares the same two cores: more nodes do not add
 * cores here, they show what spreading costs.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryStore } from '../../src/store/memory.js';
import { createRedisStore } from '../../src/store/redis.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { benchDraft } from '../lib/drafts.js';
import { Histogram, type LatencySummary } from '../lib/load/histogram.js';
import { type LoadClient, startLoad } from '../lib/load/load.js';
import { FlowGate, startClosedLoop } from '../lib/load/publishers.js';
import { Samples } from '../lib/samples.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { formatCount, formatDuration, formatRatio, type Table } from '../lib/table.js';
import { type Peer, startAndon } from '../peers/andon.js';
import { type BenchRedis, startRedisServer } from '../peers/redis.js';
import { LAG_EVENTS as FANOUT_LAG_EVENTS, PUBLISHERS as FANOUT_PUBLISHERS } from './fanout.js';
import { driveAppends } from './store-commit.js';

const PUBLISHERS = 64;
const APPEND_MS = { quick: 700, full: 8_000 } as const;
const APPEND_WARMUP_MS = { quick: 300, full: 2_000 } as const;
/** Appends one at a time, each awaited: the round trip of one event. */
const SEQUENTIAL = { quick: 500, full: 10_000 } as const;
const NO_PRUNING_MS = 2_000_000_000;

/** Subscribers over all nodes: the 10,000 with --full, fewer to keep the quick run short. */
const FANOUT_SUBSCRIBERS = { quick: 3_000, full: 10_000 } as const;
/** Node counts compared: 1, 2 and 3 with --full; 1 and 3 in the quick run. */
const NODE_COUNTS = { quick: [1, 3], full: [1, 2, 3] } as const;
/** The fan-out scenario's load: 16 closed-loop publishers, up to 128 events per subscriber in flight. */
const HTTP_PUBLISHERS = FANOUT_PUBLISHERS;
const LAG_EVENTS = FANOUT_LAG_EVENTS;
const FANOUT_MS = { quick: 2_000, full: 10_000 } as const;
const FANOUT_WARMUP_MS = { quick: 750, full: 3_000 } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type StoreKind = 'memory' | 'sqlite commit' | 'sqlite batch' | 'redis everysec' | 'redis always';

interface AppendRow {
  readonly store: StoreKind;
  readonly appendsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly sequentialP50: number;
  readonly sequentialP99: number;
  /** CPU of this process and (for Redis) the Redis server, per append, in µs. */
  readonly cpuMicrosPerAppend: number;
}

function cpuMsOfSelf(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function measureAppends(context: BenchContext, kind: StoreKind): Promise<AppendRow> {
  const mode = context.full ? 'full' : 'quick';
  let redis: BenchRedis | undefined;
  let store: Store;
  const path = join(context.scratch, `redis-bench-${kind.replace(' ', '-')}.db`);
  if (kind === 'memory') store = createMemoryStore();
  else if (kind.startsWith('sqlite')) {
    store = createSqliteStore({
      path,
      durability: kind === 'sqlite commit' ? 'commit' : 'batch',
      pruneIntervalMs: NO_PRUNING_MS,
    });
  } else {
    redis = await startRedisServer(context.scratch, {
      fsync: kind === 'redis always' ? 'always' : 'everysec',
      log: context.log,
    });
    store = createRedisStore({ url: redis.url, pruneIntervalMs: NO_PRUNING_MS });
    await store.head();
  }
  try {
    context.log(`redis: appends, ${kind}`);
    const cpu0 = cpuMsOfSelf() + (redis?.cpuMs() ?? 0);
    const { samples, completed } = await driveAppends(
      store,
      APPEND_WARMUP_MS[mode],
      APPEND_MS[mode],
      PUBLISHERS,
    );
    const cpuMs = cpuMsOfSelf() + (redis?.cpuMs() ?? 0) - cpu0;
    // Appended during warm-up and window alike: CPU is shared over every append made.
    const appendsMade = completed * ((APPEND_WARMUP_MS[mode] + APPEND_MS[mode]) / APPEND_MS[mode]);
    const one = new Samples();
    let n = 10_000_000;
    const until = performance.now() + SEQUENTIAL[mode];
    while (performance.now() < until) {
      const start = performance.now();
      await store.append([benchDraft(++n)]);
      one.add(performance.now() - start);
    }
    const summary = samples.summary();
    const sequential = one.summary();
    return {
      store: kind,
      appendsPerSecond: completed / (APPEND_MS[mode] / 1000),
      p50: summary.p50,
      p99: summary.p99,
      sequentialP50: sequential.p50,
      sequentialP99: sequential.p99,
      cpuMicrosPerAppend: (cpuMs * 1000) / Math.max(1, appendsMade),
    };
  } finally {
    await store.close();
    await redis?.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }
}

interface FanoutRow {
  readonly label: string;
  readonly nodes: number;
  readonly deliveredPerSecond: number;
  readonly published: number;
  readonly publishErrors: number;
  readonly latency: LatencySummary;
  readonly hubCores: number;
  readonly redisCores: number;
  readonly loadCores: number;
  readonly subscribers: number;
}

async function fanout(
  context: BenchContext,
  label: string,
  nodes: number,
  store: 'memory' | 'sqlite' | 'redis',
): Promise<FanoutRow> {
  const mode = context.full ? 'full' : 'quick';
  let redis: BenchRedis | undefined;
  const peers: Peer[] = [];
  const loads: LoadClient[] = [];
  const dbPath = join(context.scratch, 'redis-fanout.db');
  try {
    if (store === 'redis') redis = await startRedisServer(context.scratch, { log: context.log });
    for (let i = 0; i < nodes; i++) {
      peers.push(
        await startAndon({
          name: `${label} node ${i + 1}`,
          store:
            store === 'redis' ? redis!.url : store === 'sqlite' ? `sqlite:${dbPath}` : 'memory',
          log: context.log,
        }),
      );
    }
    const subscribers = FANOUT_SUBSCRIBERS[mode];
    context.log(`redis: fan-out, ${label}, ${formatCount(subscribers)} subscribers`);
    for (const peer of peers) {
      loads.push(
        await startLoad({
          url: `${peer.url}${peer.subscribePath}`,
          connections: Math.round(subscribers / nodes),
          processes: nodes === 1 && subscribers > 2_000 ? 2 : 1,
        }),
      );
    }
    let open = 0;
    for (const load of loads) open += (await load.ready()).open;
    const delivered = () => loads.reduce((sum, load) => sum + load.delivered(), 0);
    let sentBefore = 0;
    let current: { sent(): number } | undefined;
    const gate = new FlowGate(
      open,
      LAG_EVENTS,
      () => sentBefore + (current?.sent() ?? 0),
      delivered,
    );
    let turn = 0;
    const loop = (ms: number) => {
      const publisher = startClosedLoop({
        publishOne: (data) => peers[turn++ % peers.length]!.publishOne(data),
        concurrency: HTTP_PUBLISHERS,
        maxDurationMs: ms,
        gate: () => gate.open(),
      });
      current = publisher;
      return publisher;
    };
    const warm = loop(FANOUT_WARMUP_MS[mode]);
    await sleep(FANOUT_WARMUP_MS[mode]);
    await warm.stop();
    sentBefore += warm.sent();
    await Promise.all(loads.map((load) => load.reset()));
    const hubCpu = () => peers.reduce((sum, peer) => sum + peer.cpuMs(), 0);
    const cpu0 = { hub: hubCpu(), redis: redis?.cpuMs() ?? 0 };
    const measured = loop(FANOUT_MS[mode]);
    await sleep(FANOUT_MS[mode]);
    const stats = await Promise.all(loads.map((load) => load.stats()));
    const elapsedMs = Math.max(...stats.map((s) => s.elapsedMs));
    const hubCores = (hubCpu() - cpu0.hub) / elapsedMs;
    const redisCores = ((redis?.cpuMs() ?? 0) - cpu0.redis) / elapsedMs;
    const summary = await measured.stop();
    const latency = new Histogram();
    for (const s of stats) latency.merge(s.histogram.toJSON());
    return {
      label,
      nodes,
      deliveredPerSecond: stats.reduce((sum, s) => sum + s.deliveriesPerSecond, 0),
      published: summary.published,
      publishErrors: summary.errors,
      latency: latency.summary(),
      hubCores,
      redisCores,
      loadCores: stats.reduce((sum, s) => sum + s.cpuCores, 0),
      subscribers: open,
    };
  } finally {
    await Promise.all(loads.map((load) => load.close()));
    await Promise.all(peers.map((peer) => peer.stop()));
    await redis?.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
  }
}

function appendTable(rows: readonly AppendRow[]): Table {
  const sqlite = rows.find((r) => r.store === 'sqlite commit');
  return {
    title: `Store appends in one process: ${PUBLISHERS} concurrent publishers, then one at a time`,
    columns: [
      'store',
      'appends/s',
      'vs sqlite commit',
      'p50',
      'p99',
      'one at a time p50',
      'p99',
      'CPU per append',
    ],
    rows: rows.map((r) => [
      r.store,
      formatCount(r.appendsPerSecond),
      sqlite === undefined ? '–' : formatRatio(r.appendsPerSecond / sqlite.appendsPerSecond),
      formatDuration(r.p50),
      formatDuration(r.p99),
      formatDuration(r.sequentialP50),
      formatDuration(r.sequentialP99),
      `${r.cpuMicrosPerAppend.toFixed(1)} µs`,
    ]),
  };
}

function fanoutTable(rows: readonly FanoutRow[]): Table {
  const one = rows.find((r) => r.label === 'redis, 1 node')?.deliveredPerSecond ?? 0;
  return {
    title: `Fan-out at saturation, ${formatCount(rows[0]?.subscribers ?? 0)} subscribers spread over the nodes, full hub path`,
    columns: [
      'hubs',
      'delivered/s',
      'vs 1 redis node',
      'p50',
      'p99',
      'hub CPU',
      'Redis CPU',
      'load CPU',
      'publish errors',
    ],
    rows: rows.map((r) => [
      r.label,
      formatCount(r.deliveredPerSecond),
      one > 0 ? formatRatio(r.deliveredPerSecond / one) : '–',
      formatDuration(r.latency.p50),
      formatDuration(r.latency.p99),
      `${r.hubCores.toFixed(2)} cores`,
      `${r.redisCores.toFixed(2)} cores`,
      `${r.loadCores.toFixed(2)} cores`,
      formatCount(r.publishErrors),
    ]),
  };
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const kinds: StoreKind[] = context.full
    ? ['memory', 'sqlite commit', 'sqlite batch', 'redis everysec', 'redis always']
    : ['memory', 'sqlite commit', 'redis everysec'];
  const appends: AppendRow[] = [];
  for (const kind of kinds) appends.push(await measureAppends(context, kind));
  const rows: FanoutRow[] = [];
  // The references, one process on memory and on SQLite, in the full run only.
  if (context.full) {
    rows.push(await fanout(context, 'memory, 1 node', 1, 'memory'));
    rows.push(await fanout(context, 'sqlite, 1 node', 1, 'sqlite'));
  }
  for (const nodes of NODE_COUNTS[context.full ? 'full' : 'quick']) {
    rows.push(await fanout(context, `redis, ${nodes} node${nodes > 1 ? 's' : ''}`, nodes, 'redis'));
  }
  const sqlite = appends.find((r) => r.store === 'sqlite commit')!;
  const redis = appends.find((r) => r.store === 'redis everysec')!;
  return {
    tables: [appendTable(appends), fanoutTable(rows)],
    notes: [
      `Appends: each of ${PUBLISHERS} publishers appends one event and awaits it before the next; then one publisher alone, each append awaited (the round trip of one event). Redis runs with appendonly yes; everysec fsyncs the append-only file once a second (an acknowledged event survives a Redis crash, not a power loss), always fsyncs before answering.`,
      `Cost per event, Redis (everysec) against SQLite (commit): one at a time ${formatDuration(redis.sequentialP50)} vs ${formatDuration(sqlite.sequentialP50)} p50; CPU ${redis.cpuMicrosPerAppend.toFixed(1)} µs vs ${sqlite.cpuMicrosPerAppend.toFixed(1)} µs per append (hub process plus Redis server).`,
      `Fan-out: closed-loop HTTP publishers (${HTTP_PUBLISHERS} in flight) round-robin over the nodes, paced by a flow gate (at most ${LAG_EVENTS} events per subscriber published but not received); each node has its own load client process(es) with an equal share of the subscribers. Each node reads Redis with one blocking XREAD loop.`,
      'All hubs, Redis and the load clients share the same 2 cores: nodes here measure the cost of spreading one hall over several processes, not the gain of more machines. On separate machines each node adds its own cores; Redis then carries one XREAD per node per batch.',
    ],
    data: { appends, fanout: rows },
  };
}

/** The redis scenario. */
export const redis: Scenario = {
  name: 'redis',
  title: 'Redis: a cluster of hubs, and the cost of Redis per event',
  description:
    'Store appends (64 concurrent publishers, then one at a time) against memory, SQLite and Redis with CPU per append including the Redis server; then fan-out at saturation with 10,000 subscribers over 1, 2 and 3 andon serve nodes on one Redis, beside one node on memory and SQLite.',
  run,
};
