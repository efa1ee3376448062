/**
 * Durable appends per second: a burst of single-event publishes (like HTTP
 * publishes arriving together) against the SQLite store, with group commit
 * and with one commit per append, for each durability mode, and the memory
 * store as the ceiling. Every append is awaited, so a figure counts only
 * appends that are as durable as their mode promises.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryStore } from '../../src/store/memory.js';
import { createSqliteStore, type Durability } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { benchDraft, wireBytes } from '../lib/drafts.js';
import { Samples } from '../lib/samples.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { formatCount, formatDuration, formatRatio } from '../lib/table.js';

/** Appends outstanding at any time: a burst of concurrent HTTP publishes. */
const PUBLISHERS = 64;
/** How long each configuration is measured, and warmed up before, in ms. */
const DURATION_MS = { quick: 1_200, full: 10_000 } as const;
const WARMUP_MS = { quick: 500, full: 2_000 } as const;
/**
 * Pruning is not what this measures: a prune interval beyond the run keeps
 * it out (below 2^31 ms, past which Node fires an interval every 1 ms).
 */
const NO_PRUNING_MS = 2_000_000_000;
const DURABILITIES: readonly Durability[] = ['commit', 'batch', 'none'];
/** How long the disk's own sync latency is measured, in ms. */
const DISK_PROBE_MS = { quick: 1_000, full: 3_000 } as const;
/** A SQLite page: what a one-event commit appends to the WAL, give or take a frame header. */
const PAGE_BYTES = 4096;

interface Config {
  readonly store: 'memory' | 'sqlite';
  readonly durability?: Durability;
  readonly groupCommit?: boolean;
}

interface Measured {
  readonly config: Config;
  readonly appends: number;
  readonly appendsPerSecond: number;
  /** Store notifications during the window: for SQLite, one per committed transaction. */
  readonly commits: number;
  readonly latencyMs: ReturnType<Samples['summary']>;
}

function open(config: Config, dir: string, index: number): Store {
  if (config.store === 'memory') return createMemoryStore();
  return createSqliteStore({
    path: join(dir, `commit-${index}.db`),
    durability: config.durability ?? 'commit',
    groupCommit: config.groupCommit ?? true,
    pruneIntervalMs: NO_PRUNING_MS,
  });
}

/**
 * Runs `publishers` loops that each append one event and await it, then
 * append the next, until the window closes. Latency is counted for appends
 * started inside the window; throughput for those completed in it.
 */
export async function driveAppends(
  store: Store,
  warmupMs: number,
  durationMs: number,
  publishers: number = PUBLISHERS,
) {
  const samples = new Samples();
  let seq = 0;
  let completed = 0;
  let commits = 0;
  const start = performance.now();
  const from = start + warmupMs;
  const until = from + durationMs;
  const unwatch = store.watch(() => {
    const now = performance.now();
    if (now >= from && now < until) commits++;
  });
  const publisher = async () => {
    for (;;) {
      const sent = performance.now();
      if (sent >= until) return;
      await store.append([benchDraft(++seq)]);
      const done = performance.now();
      if (sent >= from) samples.add(done - sent);
      if (done >= from && done < until) completed++;
    }
  };
  await Promise.all(Array.from({ length: publishers }, publisher));
  unwatch();
  return { samples, completed, commits };
}

/**
 * Times appending one page to a file and `fdatasync`ing it, on the disk the
 * databases are on: the floor under one durable commit, which is what group
 * commit shares among the appends of a tick.
 */
function probeDisk(dir: string, durationMs: number): Samples {
  const path = join(dir, 'sync-probe');
  const fd = openSync(path, 'w');
  const page = Buffer.alloc(PAGE_BYTES, 0x61);
  const samples = new Samples();
  try {
    const until = performance.now() + durationMs;
    for (let offset = 0; performance.now() < until; offset += PAGE_BYTES) {
      const start = performance.now();
      writeSync(fd, page, 0, PAGE_BYTES, offset);
      fdatasyncSync(fd);
      samples.add(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(path);
  }
  return samples;
}

function label(config: Config): string[] {
  if (config.store === 'memory') return ['memory', '—', '—'];
  return ['sqlite', config.durability ?? 'commit', config.groupCommit ? 'group' : 'per event'];
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? 'full' : 'quick';
  const configs: Config[] = [{ store: 'memory' }];
  for (const durability of DURABILITIES) {
    configs.push({ store: 'sqlite', durability, groupCommit: true });
    configs.push({ store: 'sqlite', durability, groupCommit: false });
  }
  context.log('store-commit: disk sync latency');
  const disk = probeDisk(context.scratch, DISK_PROBE_MS[mode]);
  const results: Measured[] = [];
  for (const [index, config] of configs.entries()) {
    context.log(`store-commit: ${label(config).join(' ')}`);
    const store = open(config, context.scratch, index);
    try {
      const { samples, completed, commits } = await driveAppends(
        store,
        WARMUP_MS[mode],
        DURATION_MS[mode],
      );
      results.push({
        config,
        appends: completed,
        appendsPerSecond: completed / (DURATION_MS[mode] / 1000),
        commits,
        latencyMs: samples.summary(),
      });
    } finally {
      await store.close();
    }
  }
  const rate = (durability: Durability | undefined, group: boolean) =>
    results.find(
      (r) =>
        r.config.store === 'sqlite' &&
        r.config.durability === durability &&
        r.config.groupCommit === group,
    )?.appendsPerSecond ?? Number.NaN;
  const rows = results.map((r) => {
    const sqlite = r.config.store === 'sqlite';
    const ratio =
      sqlite && r.config.groupCommit === true
        ? formatRatio(rate(r.config.durability, true) / rate(r.config.durability, false))
        : '';
    return [
      ...label(r.config),
      formatCount(r.appendsPerSecond),
      formatDuration(r.latencyMs.p50),
      formatDuration(r.latencyMs.p99),
      sqlite ? (r.appends / Math.max(1, r.commits)).toFixed(1) : '—',
      ratio,
    ];
  });
  return {
    tables: [
      {
        title: `${PUBLISHERS} concurrent publishers, one ${wireBytes(1)}-byte event per append, ${formatDuration(DURATION_MS[mode])} per row`,
        columns: [
          'store',
          'durability',
          'commit',
          'appends/s',
          'p50 latency',
          'p99 latency',
          'events/commit',
          'group ÷ per event',
        ],
        rows,
      },
      {
        title: `The disk under the databases: append ${PAGE_BYTES} bytes to a file and fdatasync`,
        columns: ['syncs/s', 'p50', 'p99', 'max'],
        rows: [
          [
            formatCount(disk.count / (DISK_PROBE_MS[mode] / 1000)),
            formatDuration(disk.percentile(50)),
            formatDuration(disk.percentile(99)),
            formatDuration(disk.percentile(100)),
          ],
        ],
      },
    ],
    notes: [
      `Each publisher appends one event and awaits it before the next, so ${PUBLISHERS} appends are outstanding at any time; latency runs from the append call to its resolution (durable as the mode promises).`,
      'events/commit is appends divided by the transactions the store committed (its watch notifications) in the window.',
      `Every row starts with a fresh database file and a ${formatDuration(WARMUP_MS[mode])} warm-up; pruning is off during the run.`,
      'commit = synchronous=FULL (fsync of the WAL at every commit); batch = synchronous=NORMAL (no fsync at commit, WAL synced at checkpoints); none = synchronous=OFF.',
    ],
    data: {
      diskSyncMs: disk.summary(),
      publishers: PUBLISHERS,
      eventBytes: wireBytes(1),
      durationMs: DURATION_MS[mode],
      warmupMs: WARMUP_MS[mode],
      results,
    },
  };
}

/** The store-commit scenario. */
export const storeCommit: Scenario = {
  name: 'store-commit',
  title: 'Store: durable appends per second, group commit vs one commit per event',
  description: `${PUBLISHERS} concurrent publishers each append one small event at a time into a fresh store and await it, for every SQLite durability mode with group commit (the appends of one tick share a transaction) and with one transaction per append; the memory store is the ceiling.`,
  run,
};
