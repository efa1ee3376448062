/**
 * A Redis that hangs (frozen with SIGSTOP: what a network partition, a
 * black-holed route or a stalled VM look like to a client) rather than dying.
 * A publish sent into the hang is answered 503 once Redis has not answered
 * within the command timeout (it may have been stored: it says so); the
 * reader's XREAD times out too, `/healthz` turns 503 and further publishes
 * are refused at once; when Redis wakes up the hub recovers by itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/mercure/auth.js';
import { type AndonProcess, startAndon } from './helpers/andon-process.js';
import { TEST_KEY } from './helpers/hub.js';
import { HUB_PATH } from './helpers/publish-loop.js';
import { startRedis, type TestRedis } from './helpers/redis.js';
import { waitFor } from './helpers/wait.js';

/** Past this without an answer, a publish is taken as hanging: a refusal takes milliseconds. */
const ANSWER_WITHIN_MS = 10_000;

let redis: TestRedis;
let node: AndonProcess;
let frozen: number | undefined;

/** The pid of the redis-server listening on `port`, found in /proc (it names its address there). */
function redisPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('redis-server') && cmdline.includes(`:${port}`)) return Number(entry);
  }
  throw new Error(`no redis-server process on port ${port}`);
}

beforeAll(async () => {
  redis = await startRedis();
  node = await startAndon({ args: ['--store', redis.url(0), '--jwt-key', TEST_KEY] });
});

afterAll(async () => {
  if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
  await node?.kill('SIGKILL');
  await redis?.destroy();
});

describe('a Redis that hangs', () => {
  let token: string;

  const publish = async (id: string) => {
    const response = await fetch(`${node.url}${HUB_PATH}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: new URLSearchParams({ topic: 'https://ex/hang', id, data: id }),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    return { status: response.status, body: await response.text() };
  };

  it('answers 503 while Redis hangs, refuses at once once it knows, and recovers', {
    timeout: 60_000,
  }, async () => {
    token = await signToken({ key: TEST_KEY, publish: ['*'] });
    expect(await publish('before')).toEqual({ status: 200, body: 'before' });
    frozen = redisPid(redis.port);
    process.kill(frozen, 'SIGSTOP');

    // Sent into the hang: no answer from Redis, so a 503 after the command timeout.
    const into = await publish('into');
    expect(into.status).toBe(503);
    expect(into.body).toMatch(/Redis did not answer in time; a write may have been stored/);

    let detail = '';
    await waitFor(
      async () => {
        const response = await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(5000) });
        detail = await response.text();
        return response.status === 503;
      },
      '/healthz to report the hung Redis',
      25_000,
    );
    expect(detail).toContain('publishes are refused until it is back');
    // What /healthz promises: a refusal at once, with its reason.
    const started = Date.now();
    const during = await publish('during');
    expect(during.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(ANSWER_WITHIN_MS);

    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    await waitFor(
      async () => (await fetch(`${node.url}/healthz`)).status === 200,
      '/healthz to recover once Redis answers again',
      25_000,
    );
    expect(await publish('after')).toEqual({ status: 200, body: 'after' });
  });
});
