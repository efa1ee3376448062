/**
 * Replay start time against history size: how long a reconnecting client
 * waits for its Last-Event-ID to resolve and for the first page of missed
 * events, from near the start, the middle and the end of the history, with
 * 1,000, 100,000 and up to 1,000,000 events stored. The store promises
 * O(log n) for both, so the figures should stay flat as the history grows.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../../src/engine/event.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { ReadOptions, Store } from '../../src/store/store.js';
import { benchDraft, eventId, eventTopic } from '../lib/drafts.js';
import { measure, type Samples } from '../lib/samples.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { formatBytes, formatCount, formatDuration, formatRatio, type Table } from '../lib/table.js';

/** History sizes compared; the largest is what `--full` promises. */
const SIZES = { quick: [1_000, 20_000, 100_000], full: [1_000, 100_000, 1_000_000] } as const;
/** Events per append while filling: one transaction each, so filling takes seconds. */
const FILL_BATCH = 10_000;
/** Topics the events rotate through; the filtered read accepts one, a tenth of the events. */
const TOPICS = 10;
/** A page of replay: what the engine asks the store for at a time. */
const PAGE = 1_000;
/** Repetitions of each timed call; the first is also reported alone, as it finds the pages cold. */
const REPEAT = { resolve: 200, read: 50, prune: 3 } as const;
/** A small history timed first and thrown away, so the JIT is warm for the first real size. */
const WARMUP_SIZE = 2_000;
/** Keeps every event: retention is not what this measures (and must not eat the history). */
const KEEP_ALL = { maxEvents: 1_000_000_000 } as const;
/** Below 2^31 ms, past which Node fires an interval every 1 ms. */
const NO_PRUNING_MS = 2_000_000_000;

const accepted = eventTopic(3, TOPICS);
const filter = (event: StoredEvent) => event.topics[0] === accepted;

type Where = 'start' | 'middle' | 'end';
const WHERE: readonly Where[] = ['start', 'middle', 'end'];

/** A position near the start, in the middle and near the end of `size` events (positions 1..size). */
function positionAt(where: Where, size: number): number {
  if (where === 'start') return 10;
  if (where === 'middle') return Math.floor(size / 2);
  return size - 10;
}

interface Timing {
  readonly operation: string;
  readonly where: Where | '';
  /** Events a page held (reads only): a page near the end, or of a small history, is short. */
  readonly returned: number | undefined;
  readonly ms: ReturnType<Samples['summary']>;
}

interface SizeResult {
  readonly size: number;
  readonly fillMs: number;
  readonly dbBytes: number;
  readonly timings: readonly Timing[];
}

/** A SQLite database's files: the database, its WAL and the WAL's index. */
const DB_FILES = ['', '-wal', '-shm'] as const;

function fileBytes(path: string): number {
  let total = 0;
  for (const suffix of DB_FILES) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // No WAL or shared-memory file once the last connection closed: nothing to add.
    }
  }
  return total;
}

async function fill(path: string, size: number): Promise<number> {
  const store = createSqliteStore({
    path,
    durability: 'none',
    retention: KEEP_ALL,
    pruneIntervalMs: NO_PRUNING_MS,
  });
  const start = performance.now();
  try {
    for (let first = 1; first <= size; first += FILL_BATCH) {
      const count = Math.min(FILL_BATCH, size - first + 1);
      await store.append(Array.from({ length: count }, (_, i) => benchDraft(first + i, TOPICS)));
    }
  } finally {
    await store.close();
  }
  return performance.now() - start;
}

/** Times `read` from `after` {@link REPEAT}.read times; also returns how many events a page held. */
async function timeRead(
  store: Store,
  after: number,
  options: ReadOptions,
): Promise<{ samples: Samples; returned: number }> {
  let returned = 0;
  const samples = await measure(REPEAT.read, async () => {
    returned = (await store.read(after, options)).events.length;
  });
  return { samples, returned };
}

async function time(store: Store, size: number): Promise<Timing[]> {
  const head = await store.head();
  if (head?.position !== size || head.id !== eventId(size)) {
    throw new Error(`store-replay: expected ${size} events; the head is ${JSON.stringify(head)}.`);
  }
  const timings: Timing[] = [];
  const add = (operation: string, where: Timing['where'], samples: Samples, returned?: number) =>
    timings.push({ operation, where, returned, ms: samples.summary() });
  for (const where of WHERE) {
    const position = positionAt(where, size);
    const id = eventId(position);
    let found: number | undefined;
    const resolving = await measure(REPEAT.resolve, async () => {
      found = await store.resolve(id);
    });
    if (found !== position) {
      throw new Error(`store-replay: ${id} resolved to ${found}, not to ${position}.`);
    }
    add('resolve(id)', where, resolving);
    const page = await timeRead(store, position, { limit: PAGE });
    add(`read(position, ${PAGE})`, where, page.samples, page.returned);
    const filtered = await timeRead(store, position, { limit: PAGE, filter });
    add(`read(position, ${PAGE}, filter 1/${TOPICS})`, where, filtered.samples, filtered.returned);
    const start = await measure(REPEAT.read, async () => {
      await store.read((await store.resolve(id)) ?? 0, { limit: PAGE });
    });
    add(`replay start: resolve + read ${PAGE}`, where, start, page.returned);
  }
  add('head()', '', await measure(REPEAT.resolve, () => store.head()));
  add('prune(), nothing due', '', await measure(REPEAT.prune, () => store.prune()));
  return timings;
}

async function runSize(context: BenchContext, size: number): Promise<SizeResult> {
  const path = join(context.scratch, `replay-${size}.db`);
  context.log(`store-replay: filling ${formatCount(size)} events`);
  const fillMs = await fill(path, size);
  const dbBytes = fileBytes(path);
  context.log(`store-replay: timing reads at ${formatCount(size)} events`);
  const store = createSqliteStore({ path, retention: KEEP_ALL, pruneIntervalMs: NO_PRUNING_MS });
  try {
    return { size, fillMs, dbBytes, timings: await time(store, size) };
  } finally {
    await store.close();
    for (const suffix of DB_FILES) rmSync(path + suffix, { force: true });
  }
}

function tables(results: readonly SizeResult[]): Table[] {
  const largest = results[results.length - 1]!;
  const label = (t: Timing) => (t.where === '' ? t.operation : `${t.operation} from ${t.where}`);
  // A ratio compares like with like: '—' where the smaller history gave a shorter page.
  const ratio = (smaller: SizeResult, i: number) => {
    const base = smaller.timings[i]!;
    const top = largest.timings[i]!;
    return base.returned === top.returned ? formatRatio(top.ms.p50 / base.ms.p50) : '—';
  };
  const smaller = results.slice(0, -1);
  const flat: Table = {
    title: 'Median time by events stored',
    columns: [
      'operation',
      ...results.map((r) => `${formatCount(r.size)} events`),
      ...smaller.map((r) => `${formatCount(largest.size)} ÷ ${formatCount(r.size)}`),
    ],
    rows: largest.timings.map((t, i) => [
      label(t),
      ...results.map((r) => {
        const { ms, returned } = r.timings[i]!;
        const short = returned !== undefined && returned !== t.returned;
        return `${formatDuration(ms.p50)}${short ? ` (${formatCount(returned)})` : ''}`;
      }),
      ...smaller.map((r) => ratio(r, i)),
    ]),
  };
  const detail: Table = {
    title: `At ${formatCount(largest.size)} events: first call, median, p99`,
    columns: ['operation', 'events returned', 'first', 'p50', 'p99', 'calls'],
    rows: largest.timings.map((t) => [
      label(t),
      t.returned === undefined ? '—' : formatCount(t.returned),
      formatDuration(t.ms.first),
      formatDuration(t.ms.p50),
      formatDuration(t.ms.p99),
      String(t.ms.count),
    ]),
  };
  const storage: Table = {
    title: 'History stored',
    columns: ['events', 'fill time', 'fill rate', 'database size', 'bytes per event'],
    rows: results.map((r) => [
      formatCount(r.size),
      formatDuration(r.fillMs),
      `${formatCount(r.size / (r.fillMs / 1000))}/s`,
      formatBytes(r.dbBytes),
      formatCount(r.dbBytes / r.size),
    ]),
  };
  return [flat, detail, storage];
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  await runSize(context, WARMUP_SIZE);
  const results: SizeResult[] = [];
  for (const size of SIZES[context.full ? 'full' : 'quick']) {
    results.push(await runSize(context, size));
  }
  return {
    tables: tables(results),
    notes: [
      `A time followed by (n): that page held only n events, fewer than at ${formatCount(results[results.length - 1]!.size)} events (the history is shorter than the page); its ratio is left out.`,
      `Positions: start = 10, middle = half the history, end = 10 before the newest event (so a read from the end returns 10 events). Ids are UUID-shaped and spread over the id index.`,
      `The filtered read accepts one topic in ${TOPICS}: a page stops after the store's scan limit of 10,000 rows, so it holds about ${PAGE} events.`,
      'Each operation is timed on a store reopened after filling (SQLite page cache cold, OS page cache warm); "first" is the first call at that position, the others repeat it.',
      `Filled with durability 'none' in appends of ${formatCount(FILL_BATCH)} events; database size is the file (and its WAL, if any) after closing.`,
      'prune() with nothing due is housekeeping, not replay: it runs every 5 s by default, and is timed here because its cost grows with the history.',
    ],
    data: { page: PAGE, topics: TOPICS, fillBatch: FILL_BATCH, results },
  };
}

/** The store-replay scenario. */
export const storeReplay: Scenario = {
  name: 'store-replay',
  title: 'Store: replay start time against history size',
  description:
    'Fills a SQLite store with 1,000, 100,000 and 1,000,000 events (1,000, 20,000 and 100,000 in quick mode), then times resolving a Last-Event-ID and reading the first page of replay from near the start, the middle and the end of it, with and without a filter.',
  run,
};
