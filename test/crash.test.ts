/**
 * Nothing lost across restarts. A real `andon serve` process on a SQLite
 * store takes a steady stream of publishes from several publishers (HTTP
 * keep-alive, one request in flight each) while subscribers listen with
 * EventSource. It is killed with SIGKILL at random moments and started again
 * on the same port; subscribers reconnect by themselves with Last-Event-ID.
 *
 * What is promised, and checked against the database reopened afterwards:
 * - every acknowledged publish (answered 200 with its id) is in the store and
 *   reached every subscriber, exactly once, in position order (which keeps
 *   each publisher's acknowledged order);
 * - a publish whose request the kill cut (reset, refused, no complete answer)
 *   is not acknowledged, yet it may have committed just before the kill. Such
 *   an update is durable: it is delivered like any other, in its place, at
 *   most once. Publishers never retry an id, so an id is stored at most once;
 *   a publisher that retries after a cut answer must expect its update twice
 *   (at-least-once), or pick its own id and deduplicate.
 * - nothing else is stored or delivered, and no subscriber sees a reset.
 *
 * Runs `bin/andon.js`, which imports `dist/`: run `npm run build` after
 * changing `src/`.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../src/mercure/auth.js';
import { type AndonProcess, freePort, startAndon } from './helpers/andon-process.js';
import { EventSourceClient } from './helpers/event-source.js';
import { TEST_KEY } from './helpers/hub.js';
import { type Answer, HUB_PATH, post } from './helpers/publish-loop.js';
import { waitFor } from './helpers/wait.js';

/** Every update of the run is on a topic this template matches. */
const SELECTOR = 'https://ex/crash/{source}';
const PUBLISHERS = 4;
const SUBSCRIBERS = 4;
/** Failures in a row that kills cannot explain: the hub is gone for good. */
const MAX_CONSECUTIVE_FAILURES = 20;
/** Acknowledged publishes between kills, drawn at random: some kills land during catch-up. */
const KILL_AFTER_MIN = 20;
const KILL_AFTER_MAX = 500;

function update(id: string, source: string): URLSearchParams {
  return new URLSearchParams({ topic: `https://ex/crash/${source}`, id, data: id });
}

/** A hub process that can be killed and restarted on the same port. */
class CrashingHub {
  readonly port: number;
  readonly #args: readonly string[];
  #process: AndonProcess;
  #up: Promise<void> = Promise.resolve();

  private constructor(port: number, args: readonly string[], process: AndonProcess) {
    this.port = port;
    this.#args = args;
    this.#process = process;
  }

  static async start(args: readonly string[]): Promise<CrashingHub> {
    const port = await freePort();
    return new CrashingHub(port, args, await startAndon({ port, args }));
  }

  get url(): string {
    return this.#process.url;
  }

  /** Resolves once the hub serves (at once, unless a crash is under way); rejects if it could not restart. */
  up(): Promise<void> {
    return this.#up;
  }

  /** SIGKILL, then the same command on the same port. */
  async crash(): Promise<void> {
    let restarted!: () => void;
    let failed!: (error: unknown) => void;
    this.#up = new Promise((resolve, reject) => {
      restarted = resolve;
      failed = reject;
    });
    try {
      const exit = await this.#process.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      this.#process = await startAndon({ port: this.port, args: this.#args });
      restarted();
    } catch (error) {
      failed(error);
      throw error;
    }
  }

  stop(): Promise<unknown> {
    return this.#process.kill('SIGKILL');
  }
}

/** What one publisher did. */
interface PublisherLog {
  /** Ids answered 200, in the order of their answers. */
  readonly acked: string[];
  /** Ids whose request the kill cut: not acknowledged, perhaps committed. */
  readonly cut: string[];
  /** Ids answered with anything but 200 (none expected). */
  readonly refused: string[];
}

/** Publishes `p0-0`, `p0-1`, ... one at a time until `stop.done`; a cut request waits for the restart. */
async function publishLoop(
  hub: CrashingHub,
  source: string,
  token: string,
  log: PublisherLog,
  stop: { done: boolean },
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let failures = 0;
  try {
    for (let n = 0; !stop.done; n++) {
      const id = `${source}-${n}`;
      let answer: Answer;
      try {
        answer = await post(agent, hub.port, token, update(id, source));
      } catch (error) {
        log.cut.push(id);
        if (++failures > MAX_CONSECUTIVE_FAILURES) {
          throw new Error(`publisher ${source} failed ${failures} times in a row`, {
            cause: error,
          });
        }
        await hub.up();
        continue;
      }
      failures = 0;
      if (answer.status === 200 && answer.body === id) log.acked.push(id);
      else log.refused.push(`${id}: ${answer.status} ${answer.body}`);
    }
  } finally {
    agent.destroy();
  }
}

/** Where `actual` first departs from `expected`; undefined when they are equal. */
function firstDifference(
  actual: readonly string[],
  expected: readonly string[],
): string | undefined {
  const shared = Math.min(actual.length, expected.length);
  for (let i = 0; i < shared; i++) {
    if (actual[i] !== expected[i]) {
      const around = (list: readonly string[]) => list.slice(Math.max(0, i - 2), i + 3).join(' ');
      return `at ${i}: got [${around(actual)}], expected [${around(expected)}]`;
    }
  }
  if (actual.length === expected.length) return undefined;
  return `got ${actual.length} ids, expected ${expected.length}; the longer goes on with ${(actual.length >
  expected.length
    ? actual
    : expected
  )
    .slice(shared, shared + 3)
    .join(' ')}`;
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => seen.has(id) || !seen.add(id));
}

/** The ids of the store, in position order, after checking the file is sound. */
function storedIds(path: string): string[] {
  const db = new Database(path);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return (db.prepare('SELECT id FROM events ORDER BY position').all() as { id: string }[]).map(
      (row) => row.id,
    );
  } finally {
    db.close();
  }
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * The promise, checked against the database: every acknowledged id stored
 * once; nothing stored that was not sent; each publisher's order kept; every
 * subscriber received exactly the stored ids in position order; the retained
 * state is the latest stored update of each topic.
 */
function expectNothingLost(
  stored: readonly string[],
  logs: readonly PublisherLog[],
  subscribers: readonly EventSourceClient[],
  retained: EventSourceClient,
): void {
  const ackedIds = ['start', ...logs.flatMap((log) => log.acked), 'marker'];
  const cutIds = new Set(logs.flatMap((log) => log.cut));
  const storedSet = new Set(stored);

  expect(logs.flatMap((log) => log.refused)).toEqual([]);
  expect(duplicates(stored)).toEqual([]);
  expect(
    ackedIds.filter((id) => !storedSet.has(id)),
    'acknowledged but not stored',
  ).toEqual([]);
  const ackedSet = new Set(ackedIds);
  expect(
    stored.filter((id) => !ackedSet.has(id) && !cutIds.has(id)),
    'stored but never sent',
  ).toEqual([]);
  // Each publisher had one request in flight: position order is its acknowledged order.
  for (const [p, log] of logs.entries()) {
    const mine = stored.filter((id) => id.startsWith(`p${p}-`));
    const acknowledgedOnly = mine.filter((id) => !cutIds.has(id));
    expect(firstDifference(acknowledgedOnly, log.acked), `publisher p${p}`).toBeUndefined();
    const sequence = mine.map((id) => Number(id.slice(id.indexOf('-') + 1)));
    expect(
      sequence.every((n, i) => i === 0 || n > sequence[i - 1]!),
      `publisher p${p}`,
    ).toBe(true);
  }
  for (const [i, client] of subscribers.entries()) {
    expect(client.events.filter((event) => event.type !== 'message')).toEqual([]);
    expect(client.events.every((event) => event.data === event.lastEventId)).toBe(true);
    const received = client.events.map((event) => event.lastEventId);
    expect(duplicates(received), `subscriber ${i}`).toEqual([]);
    expect(firstDifference(received, stored), `subscriber ${i}`).toBeUndefined();
    // It was cut by the kills and came back on its own.
    expect(client.opens, `subscriber ${i}`).toBeGreaterThan(1);
  }
  const source = (id: string) => (/^p\d+-/.test(id) ? id.split('-')[0] : 'control');
  const latestOfEach = new Map(stored.map((id) => [source(id), id]));
  expect(retained.events.map((event) => event.lastEventId)).toEqual(
    stored.filter((id) => latestOfEach.get(source(id)) === id),
  );
}

const dirs: string[] = [];
const clients: EventSourceClient[] = [];
const hubs: CrashingHub[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(hubs.splice(0).map((hub) => hub.stop()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

interface CrashRun {
  readonly kills: number;
  readonly acked: number;
  readonly cut: number;
  /** Cut requests whose update committed anyway (delivered, once). */
  readonly cutButStored: number;
  readonly reconnections: number;
}

async function crashRun(durability: 'commit' | 'batch', kills: number): Promise<CrashRun> {
  const dir = await mkdtemp(join(tmpdir(), 'andon-crash-'));
  dirs.push(dir);
  const path = join(dir, 'crash.db');
  const hub = await CrashingHub.start([
    '--store',
    `sqlite:${path}`,
    '--durability',
    durability,
    '--anonymous',
    '--jwt-key',
    TEST_KEY,
    '--retry',
    '200ms',
  ]);
  hubs.push(hub);
  const token = await signToken({ key: TEST_KEY, publish: ['*'] });
  const control = new Agent({ keepAlive: false });

  // Every subscriber holds an id before the first kill, so every reconnection resumes.
  expect(await post(control, hub.port, token, update('start', 'control'))).toEqual({
    status: 200,
    body: 'start',
  });
  const subscribers = Array.from({ length: SUBSCRIBERS }, () => {
    const client = new EventSourceClient(
      `${hub.url}${HUB_PATH}?topic=${encodeURIComponent(SELECTOR)}`,
      { lastEventId: 'earliest' },
    );
    clients.push(client);
    return client;
  });
  await Promise.all(subscribers.map((client) => client.waitForEvents(1)));

  const logs: PublisherLog[] = Array.from({ length: PUBLISHERS }, () => ({
    acked: [],
    cut: [],
    refused: [],
  }));
  const acked = () => logs.reduce((sum, log) => sum + log.acked.length, 0);
  const stop = { done: false };
  const loops = logs.map((log, p) => publishLoop(hub, `p${p}`, token, log, stop));
  // A failed loop must fail the test now, not after the waits below time out.
  const failure = Promise.all(loops).then(() => new Promise<never>(() => {}));
  failure.catch(() => {});
  const orFail = <T>(promise: Promise<T>) => Promise.race([promise, failure]);

  let opensAtKill = subscribers.map((client) => client.opens);
  for (let k = 0; k < kills; k++) {
    // Every other kill first lets each subscriber come back, so it cuts live streams; the
    // others may land while subscribers are still away or catching up.
    if (k % 2 === 1) {
      const opened = opensAtKill;
      await orFail(
        waitFor(
          () => subscribers.every((client, i) => client.opens > opened[i]!),
          'every subscriber to reconnect',
          10_000,
        ),
      );
    }
    const target = acked() + randomInt(KILL_AFTER_MIN, KILL_AFTER_MAX);
    await orFail(waitFor(() => acked() >= target, `${target} acknowledged publishes`, 10_000));
    opensAtKill = subscribers.map((client) => client.opens);
    await hub.crash();
  }
  const tail = acked() + 100;
  await orFail(
    waitFor(() => acked() >= tail, 'publishing to resume after the last restart', 10_000),
  );
  stop.done = true;
  await Promise.all(loops);

  expect(await post(control, hub.port, token, update('marker', 'control'))).toEqual({
    status: 200,
    body: 'marker',
  });
  control.destroy();
  await Promise.all(
    subscribers.map((client, i) =>
      waitFor(
        () => client.events.some((event) => event.lastEventId === 'marker'),
        `subscriber ${i} to receive the marker`,
        15_000,
        () => `it has ${client.events.length} events, opened ${client.opens} times`,
      ),
    ),
  );
  for (const client of subscribers) client.close();
  // Retained state is written in the same transactions as history: it survived the kills too.
  const retained = new EventSourceClient(
    `${hub.url}${HUB_PATH}?topic=${encodeURIComponent(SELECTOR)}&retained=1`,
  );
  clients.push(retained);
  await retained.waitForEvents(PUBLISHERS + 1);
  retained.close();
  await hub.stop();

  const stored = storedIds(path);
  expectNothingLost(stored, logs, subscribers, retained);
  const cutIds = new Set(logs.flatMap((log) => log.cut));
  return {
    kills,
    acked: logs.reduce((sum, log) => sum + log.acked.length, 2),
    cut: cutIds.size,
    cutButStored: stored.filter((id) => cutIds.has(id)).length,
    reconnections: subscribers.reduce((sum, client) => sum + client.opens - 1, 0),
  };
}

describe('nothing lost across SIGKILL and restart (SQLite store)', () => {
  it('durability commit: 6 kills mid-stream', { timeout: 30_000 }, async ({ annotate }) => {
    const run = await crashRun('commit', 6);
    await annotate(JSON.stringify(run));
  });

  it('durability batch: 4 kills mid-stream', { timeout: 20_000 }, async ({ annotate }) => {
    const run = await crashRun('batch', 4);
    await annotate(JSON.stringify(run));
  });
});
