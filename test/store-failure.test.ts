/**
 * When the SQLite store cannot write, the hub says so and keeps serving what
 * it can: publishers get 503 with a sentence and `Retry-After` (code
 * ANDON_STORE_UNAVAILABLE, counted in /metrics), `/healthz` answers 503
 * `degraded` naming the cause, existing subscribers keep their streams
 * (heartbeats go on), and new subscribers connect and replay history with
 * Last-Event-ID. Once the cause is gone, publishing and health come back.
 *
 * Two causes: a database at its size limit (`--store-max-size`), and files
 * that cannot be written (the database and its `-wal` made immutable with
 * `chattr +i`, which even root cannot write through; the test needs root on a
 * file system with the flag, and fails saying so otherwise).
 *
 * The `-shm` file is left writable on purpose. SQLite maps it into memory
 * and every reader and writer stores into that mapping; on an immutable (or
 * read-only remounted) file the kernel answers such a store with SIGBUS, which
 * kills any process using the database before a line of JavaScript can run
 * (checked with better-sqlite3 alone on ext4). No store code can turn that
 * into a 503; it is a crash, which `test/crash.test.ts` shows loses nothing
 * acknowledged.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, HEALTH_RECHECK_MS } from '../src/store/sqlite.js';
import { startHub, type TestHub } from './helpers/hub.js';
import { RawSseClient, type SseBlock } from './helpers/raw-sse-client.js';
import { waitFor } from './helpers/wait.js';

const SELECTOR = 'https://ex/f/{n}';
const SUBSCRIBE_PATH = `/.well-known/mercure?topic=${encodeURIComponent(SELECTOR)}`;
/** Heartbeats come every 100 ms: three of them show the stream is alive, fast. */
const HEARTBEAT = '100ms';
/** Big enough that a few dozen fill a 64 KB database. */
const BIG = 'x'.repeat(4000);

const dirs: string[] = [];
const hubs: TestHub[] = [];
const clients: RawSseClient[] = [];
const immutable: string[] = [];

function chattr(flag: '+i' | '-i', files: readonly string[]): void {
  execFileSync('chattr', [flag, ...files], { stdio: 'pipe' });
}

afterEach(async () => {
  // Always, whatever failed: an immutable file outlives the test and cannot be removed.
  const flagged = immutable.splice(0);
  if (flagged.length > 0) chattr('-i', flagged);
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function databasePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'andon-store-failure-'));
  dirs.push(dir);
  return join(dir, 'hub.db');
}

async function openHub(path: string, ...more: string[]): Promise<TestHub> {
  const hub = await startHub([
    '--store',
    `sqlite:${path}`,
    '--heartbeat',
    HEARTBEAT,
    '--anonymous',
    ...more,
  ]);
  hubs.push(hub);
  return hub;
}

async function subscribe(hub: TestHub, lastEventId?: string): Promise<RawSseClient> {
  const client = await RawSseClient.connect(Number(new URL(hub.base).port), {
    path: SUBSCRIBE_PATH,
    headers: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
  });
  clients.push(client);
  expect(client.status).toBe(200);
  return client;
}

function ids(blocks: readonly SseBlock[]): (string | undefined)[] {
  return blocks.filter((block) => block.data !== undefined).map((block) => block.id);
}

async function publishOk(hub: TestHub, id: string, data = id): Promise<void> {
  const answer = await hub.publish({ topic: `https://ex/f/${id}`, id, data });
  expect(answer, `publishing ${id}`).toMatchObject({ status: 200, body: id });
}

async function health(hub: TestHub): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${hub.base}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function storeRefusals(hub: TestHub): Promise<number> {
  const text = await (await fetch(`${hub.base}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('andon_refusals_total{') && l.includes('ANDON_STORE_UNAVAILABLE'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * What a hub whose store cannot write must do: refuse the publish with a
 * sentence, report degraded health naming `cause`, keep `existing` alive, and
 * let a new subscriber replay what followed `replayFrom` (`history`).
 */
async function expectDegraded(
  hub: TestHub,
  cause: RegExp,
  existing: RawSseClient,
  replayFrom: string,
  history: readonly string[],
): Promise<void> {
  const refusalsBefore = await storeRefusals(hub);
  const refused = await hub.publish({ topic: 'https://ex/f/refused', id: 'refused', data: BIG });
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('5');
  expect(refused.body).toMatch(
    /^The update was not acknowledged: The SQLite store cannot write \(.+\)\. Retry later\.\n$/,
  );
  expect(refused.body).toMatch(cause);
  expect(await storeRefusals(hub)).toBe(refusalsBefore + 1);

  const degraded = await health(hub);
  expect(degraded.status).toBe(503);
  expect(degraded.body).toMatchObject({ status: 'degraded', store: { kind: 'sqlite', ok: false } });
  expect(String((degraded.body.store as { detail: string }).detail)).toMatch(cause);

  // Existing streams go on: heartbeats keep coming.
  const beats = existing.blocks.length;
  await existing.waitForBlocks(beats + 3);
  const heartbeat = (block: SseBlock) => block.data === undefined && block.comments.length > 0;
  expect(existing.blocks.slice(beats).every(heartbeat)).toBe(true);
  expect(existing.ended).toBe(false);

  // New subscribers connect and replay history.
  const late = await subscribe(hub, replayFrom);
  await late.waitForEvents(history.length);
  expect(ids(late.blocks)).toEqual(history);
  expect(late.blocks.some((block) => block.event === 'reset')).toBe(false);

  // Nothing of the refused update reached anyone.
  expect(ids(existing.blocks)).not.toContain('refused');
}

describe('the store cannot write', () => {
  it('a full database: 503 and degraded until pruning makes room, or the limit is raised', async () => {
    const path = await databasePath();
    let hub = await openHub(path, '--store-max-size', '64KB');
    const existing = await subscribe(hub);
    await publishOk(hub, 'h1');
    await publishOk(hub, 'h2');
    const stored = ['h2'];
    for (let i = 0; ; i++) {
      expect(i, 'a 64 KB database never filled').toBeLessThan(100);
      const id = `big${i}`;
      const answer = await hub.publish({ topic: `https://ex/f/${id}`, id, data: BIG });
      if (answer.status !== 200) break;
      stored.push(id);
    }
    expect(stored.length).toBeGreaterThan(3);
    await existing.waitForEvents(stored.length + 1);
    expect(ids(existing.blocks)).toEqual(['h1', ...stored]);
    expect((await health(hub)).status).toBe(503);

    await expectDegraded(hub, /SQLITE_FULL/, existing, 'h1', stored);
    // Still full after health rechecked: a small probe write fits, an update does not.
    const rechecked = Date.now() + HEALTH_RECHECK_MS;
    await waitFor(
      () => Date.now() > rechecked,
      'the health recheck interval to pass',
      2 * HEALTH_RECHECK_MS,
    );
    expect((await health(hub)).status).toBe(503);
    expect((await hub.publish({ topic: 'https://ex/f/again', data: BIG })).status).toBe(503);

    // Pruning (here by another process sharing the file) frees pages: health and publishing come back.
    const pruner = createSqliteStore({ path, retention: { maxEvents: 1 } });
    expect(await pruner.prune()).toBeGreaterThan(0);
    await pruner.close();
    await waitFor(
      async () => (await health(hub)).status === 200,
      '/healthz to answer 200 once pruning made room',
      3 * HEALTH_RECHECK_MS,
    );
    await publishOk(hub, 'pruned', BIG);
    await existing.waitForEvents(stored.length + 2);
    expect(ids(existing.blocks).at(-1)).toBe('pruned');

    // Or the operator raises the limit and restarts: what was kept is there, publishing works.
    await hub.close();
    hubs.splice(hubs.indexOf(hub), 1);
    hub = await openHub(path, '--store-max-size', '1MB');
    expect((await health(hub)).status).toBe(200);
    await publishOk(hub, 'after', BIG);
    expect(await health(hub)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const late = await subscribe(hub, stored.at(-1));
    await late.waitForEvents(2);
    expect(ids(late.blocks)).toEqual(['pruned', 'after']);
  });

  it('an unwritable database (chattr +i): 503 and degraded until the flag is cleared', async () => {
    const path = await databasePath();
    const hub = await openHub(path);
    const existing = await subscribe(hub);
    for (const id of ['h1', 'h2', 'h3']) await publishOk(hub, id);
    await existing.waitForEvents(3);

    const files = [path, `${path}-wal`];
    try {
      chattr('+i', files);
    } catch (error) {
      throw new Error(
        'chattr +i is not permitted here: this test needs root on a file system with the ' +
          `immutable flag (ext4, xfs, btrfs). ${(error as { stderr?: Buffer }).stderr ?? error}`,
      );
    }
    immutable.push(...files);
    // The flag holds even for root.
    for (const file of files) expect(() => accessSync(file, constants.W_OK)).toThrow(/EPERM/);

    await expectDegraded(hub, /SQLITE_IOERR|SQLITE_READONLY/, existing, 'h1', ['h2', 'h3']);

    chattr('-i', immutable.splice(0));
    // Health recovers by itself: a load balancer reading /healthz sends no publish to a degraded hub.
    await waitFor(
      async () => (await health(hub)).status === 200,
      '/healthz to answer 200 again',
      3 * HEALTH_RECHECK_MS,
    );
    await publishOk(hub, 'h4');
    expect(await health(hub)).toMatchObject({ status: 200, body: { status: 'ok' } });
    // The existing stream never broke: it gets the new update live.
    await existing.waitForEvents(4);
    expect(ids(existing.blocks)).toEqual(['h1', 'h2', 'h3', 'h4']);
    const late = await subscribe(hub, 'h1');
    await late.waitForEvents(3);
    expect(ids(late.blocks)).toEqual(['h2', 'h3', 'h4']);
  });
});
