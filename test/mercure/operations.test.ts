/**
 * What an operator sees: the counters behind `/metrics` move as the hub
 * works, `/healthz` answers, the real command logs one JSON line per
 * subscribe, unsubscribe and refusal and never a key or a token, and the
 * `andon token` / `andon publish` commands work against a hub.
 *
 * The command-line tests run `bin/andon.js`, which imports `dist/`: run
 * `npm run build` after changing `src/`.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/mercure/auth.js';
import { ensureBuilt, REPO_ROOT, startAndon } from '../helpers/andon-process.js';
import { startHub, TEST_KEY, type TestHub } from '../helpers/hub.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitFor } from '../helpers/wait.js';

const HUB_PATH = '/.well-known/mercure';

/** Every sample of a Prometheus text exposition, by `name{labels}` as written. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Runs `andon ...args` to completion. */
async function runAndon(args: readonly string[], env: Record<string, string> = {}) {
  await ensureBuilt();
  const child = spawn(process.execPath, ['bin/andon.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

function subscribePath(selectors: readonly string[], extra = ''): string {
  return `${HUB_PATH}?${selectors.map((s) => `topic=${encodeURIComponent(s)}`).join('&')}${extra}`;
}

describe('/metrics and /healthz', () => {
  let hub: TestHub;
  let port: number;
  let auth: Record<string, string>;

  beforeAll(async () => {
    // No heartbeats: the byte count must be exactly what the updates wrote.
    hub = await startHub(['--heartbeat', '0s', '--max-body', '2MB']);
    port = Number(new URL(hub.base).port);
    auth = { Authorization: `Bearer ${await hub.subscriberToken(['*'])}` };
  });
  afterAll(() => hub.close());

  async function metrics(): Promise<Map<string, number>> {
    const response = await fetch(`${hub.base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await response.text());
  }

  async function metric(name: string): Promise<number> {
    return (await metrics()).get(name) ?? 0;
  }

  /** Waits until `name` reads `value`. */
  async function expectMetric(name: string, value: number): Promise<void> {
    let last: number | undefined;
    await waitFor(
      async () => {
        last = await metric(name);
        return last === value;
      },
      `${name} to be ${value}`,
      5000,
      () => `it is ${last}`,
    );
  }

  async function subscribe(selectors: readonly string[], headers: Record<string, string> = {}) {
    const client = await RawSseClient.connect(port, {
      path: subscribePath(selectors),
      headers: { ...auth, ...headers },
    });
    expect(client.status).toBe(200);
    // The first block is the retry the hub writes on attach; it is not an update.
    await client.waitForBlocks(1);
    return client;
  }

  it('counts subscribers connected now and since start', async () => {
    const before = await metrics();
    const connected = before.get('andon_subscribers') ?? 0;
    const total = before.get('andon_subscribers_total') ?? 0;
    const a = await subscribe(['*']);
    const b = await subscribe(['*']);
    const after = await metrics();
    expect(after.get('andon_subscribers')).toBe(connected + 2);
    expect(after.get('andon_subscribers_total')).toBe(total + 2);
    b.destroy();
    await expectMetric('andon_subscribers', connected + 1);
    expect(await metric('andon_subscribers_total')).toBe(total + 2);
    a.destroy();
    await expectMetric('andon_subscribers', connected);
  });

  it('counts updates published, deliveries per subscriber, and the bytes written', async () => {
    const a = await subscribe(['https://ex.com/m/{id}']);
    const b = await subscribe(['*']);
    const elsewhere = await subscribe(['https://ex.com/other']);
    try {
      const before = await metrics();
      const bytesBefore = a.bodyBytes + b.bodyBytes + elsewhere.bodyBytes;
      for (const data of ['one', 'two', 'three']) {
        const answer = await hub.publish({ topic: 'https://ex.com/m/1', data });
        expect(answer.status).toBe(200);
      }
      await Promise.all([a.waitForEvents(3), b.waitForEvents(3)]);
      const after = await metrics();
      const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
      expect(delta('andon_updates_published_total')).toBe(3);
      // Two subscribers matched each of the three; the third matched none.
      expect(delta('andon_updates_delivered_total')).toBe(6);
      const written = a.bodyBytes + b.bodyBytes + elsewhere.bodyBytes - bytesBefore;
      expect(written).toBeGreaterThan(0);
      expect(delta('andon_bytes_written_total')).toBe(written);
      expect(elsewhere.events()).toEqual([]);
    } finally {
      for (const client of [a, b, elsewhere]) client.destroy();
    }
  });

  it('counts events replayed to a reconnecting subscriber, and resets for unknown ids', async () => {
    const topic = 'https://ex.com/replay';
    const ids: string[] = [];
    for (const data of ['r1', 'r2', 'r3']) ids.push((await hub.publish({ topic, data })).body);
    const replayed = await metric('andon_events_replayed_total');
    const resets = await metric('andon_resets_total');

    const resumed = await subscribe([topic], { 'Last-Event-ID': ids[0]! });
    const events = await resumed.waitForEvents(2);
    expect(events.map((e) => e.data)).toEqual(['r2', 'r3']);
    await expectMetric('andon_events_replayed_total', replayed + 2);
    resumed.destroy();

    const lost = await subscribe([topic], { 'Last-Event-ID': 'an id this hub never saw' });
    await lost.waitForBlocks(1, (b) => b.event === 'reset');
    await expectMetric('andon_resets_total', resets + 1);
    expect(await metric('andon_events_replayed_total')).toBe(replayed + 2);
    lost.destroy();
  });

  it('counts slow subscribers dropped when their queue passes its bound', async () => {
    const dropped = await metric('andon_slow_subscribers_dropped_total');
    const connected = await metric('andon_subscribers');
    const slow = await subscribe(['https://ex.com/flood']);
    // It stops reading: the kernel's buffers fill, then the hub's queue (1 MiB), then it is dropped.
    slow.pause();
    const data = 'x'.repeat(512 * 1024);
    let published = 0;
    while ((await metric('andon_slow_subscribers_dropped_total')) === dropped) {
      // 64 updates of 512 KiB is 32 MiB, far past any loopback buffer.
      expect(published, 'updates published without the slow subscriber being dropped').toBeLessThan(
        64,
      );
      expect((await hub.publish({ topic: 'https://ex.com/flood', data })).status).toBe(200);
      published += 1;
    }
    expect(await metric('andon_slow_subscribers_dropped_total')).toBe(dropped + 1);
    await expectMetric('andon_subscribers', connected);
    slow.destroy();
  });

  it('counts refusals by error code', async () => {
    const code = (c: string) => `andon_refusals_total{code="${c}"}`;
    const before = await metrics();
    const count = (m: Map<string, number>, c: string) => m.get(code(c)) ?? 0;

    expect((await hub.publish({ topic: 'a', data: 'x' }, null)).status).toBe(401);
    expect((await hub.publish({ topic: 'a', data: 'x' }, null)).status).toBe(401);
    expect((await fetch(`${hub.hubUrl}?topic=a%00`, { headers: auth })).status).toBe(400);
    expect((await fetch(hub.hubUrl, { method: 'DELETE' })).status).toBe(405);
    const forged = await signToken({
      key: 'another-key-that-is-long-enough-for-hs256',
      publish: ['*'],
    });
    expect((await hub.publish({ topic: 'a', data: 'x' }, forged)).status).toBe(401);

    const after = await metrics();
    expect(count(after, 'ANDON_AUTH_NO_TOKEN') - count(before, 'ANDON_AUTH_NO_TOKEN')).toBe(2);
    expect(
      count(after, 'ANDON_INVALID_SUBSCRIPTION') - count(before, 'ANDON_INVALID_SUBSCRIPTION'),
    ).toBe(1);
    expect(
      count(after, 'ANDON_METHOD_NOT_ALLOWED') - count(before, 'ANDON_METHOD_NOT_ALLOWED'),
    ).toBe(1);
    expect(
      count(after, 'ANDON_AUTH_BAD_SIGNATURE') - count(before, 'ANDON_AUTH_BAD_SIGNATURE'),
    ).toBe(1);
  });

  it('answers /healthz with 200 and JSON', async () => {
    const client = await subscribe(['*']);
    try {
      const response = await fetch(`${hub.base}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'ok', store: { kind: 'memory', ok: true } });
      expect(body.uptime).toEqual(expect.any(Number));
      expect(body.subscribers).toBe(hub.server.hub.engine.size);
      expect(body.subscribers).toBeGreaterThanOrEqual(1);
    } finally {
      client.destroy();
    }
  });
});

describe('logs of andon serve', () => {
  it('logs one JSON line per subscribe, unsubscribe and refusal, and never a key or a token', async () => {
    const key = 'a-log-test-key-that-must-never-be-printed-0123456789';
    const andon = await startAndon({ args: ['--log-level', 'info', '--jwt-key', key] });
    const headerToken = await signToken({ key, subscribe: ['*'] });
    const queryToken = await signToken({
      key,
      subscribe: ['https://ex.com/log'],
      payload: { u: 1 },
    });
    const publisherToken = await signToken({ key, publish: ['*'] });
    const forged = await signToken({ key: `${key}-forged`, publish: ['*'] });
    const lines = () =>
      andon
        .output()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const events = (name: string) => lines().filter((line) => line.event === name);

    const a = await RawSseClient.connect(andon.port, {
      path: subscribePath(['https://ex.com/log', 'https://ex.com/{x}']),
      headers: { Authorization: `Bearer ${headerToken}` },
    });
    const b = await RawSseClient.connect(andon.port, {
      path: subscribePath(['https://ex.com/log'], `&authorization=${queryToken}`),
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    const published = await fetch(`${andon.url}${HUB_PATH}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${publisherToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ topic: 'https://ex.com/log', data: 'logged' }),
    });
    expect(published.status).toBe(200);
    await Promise.all([a.waitForEvents(1), b.waitForEvents(1)]);
    a.destroy();
    b.destroy();

    const refusedPublish = await fetch(`${andon.url}${HUB_PATH}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${forged}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'topic=a&data=x',
    });
    expect(refusedPublish.status).toBe(401);
    const refusedSubscribe = await fetch(
      `${andon.url}${subscribePath(['*'], `&authorization=${forged}`)}`,
    );
    expect(refusedSubscribe.status).toBe(401);

    await waitFor(
      () => events('unsubscribe').length >= 2 && events('refusal').length >= 2,
      'two unsubscribe and two refusal log lines',
      5000,
      () => andon.output(),
    );
    // Every line is JSON (lines() would have thrown), from pino.
    const subscribes = events('subscribe');
    expect(subscribes).toHaveLength(2);
    for (const line of subscribes) {
      expect(line).toMatchObject({ level: 30, name: 'andon', msg: 'subscribe' });
      expect(line.subscriber).toMatch(/^urn:uuid:/);
    }
    expect(subscribes.map((line) => line.topics)).toEqual(
      expect.arrayContaining([
        ['https://ex.com/log', 'https://ex.com/{x}'],
        ['https://ex.com/log'],
      ]),
    );
    const unsubscribes = events('unsubscribe');
    expect(unsubscribes).toHaveLength(2);
    expect(unsubscribes.map((line) => line.subscriber).sort()).toEqual(
      subscribes.map((line) => line.subscriber).sort(),
    );
    for (const line of unsubscribes) expect(line.reason).toBe('disconnected');
    const refusals = events('refusal');
    expect(refusals).toHaveLength(2);
    expect(refusals.map((line) => [line.code, line.status, line.method, line.path])).toEqual([
      ['ANDON_AUTH_BAD_SIGNATURE', 401, 'POST', HUB_PATH],
      ['ANDON_AUTH_BAD_SIGNATURE', 401, 'GET', HUB_PATH],
    ]);
    for (const line of refusals) expect(line.msg).toMatch(/signature does not verify/);

    const output = andon.output();
    for (const secret of [key, headerToken, queryToken, publisherToken, forged]) {
      expect(output).not.toContain(secret);
    }
    // Nor the signature part alone: a token's last segment is what makes it usable.
    for (const token of [headerToken, queryToken, publisherToken, forged]) {
      expect(output).not.toContain(token.split('.')[2]!);
    }
    expect((await andon.kill()).code).toBe(0);
  });
});

describe('andon token and andon publish', () => {
  let hub: TestHub;
  let port: number;

  beforeAll(async () => {
    hub = await startHub([]);
    port = Number(new URL(hub.base).port);
  });
  afterAll(() => hub.close());

  it('andon token prints a token the hub accepts, expiring about an hour ahead', async () => {
    const result = await runAndon(['token', '--publish', '*', '--subscribe', '*', '--exp', '1h'], {
      MERCURE_JWT_KEY: TEST_KEY,
    });
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
      mercure: unknown;
    };
    expect(claims.mercure).toEqual({ publish: ['*'], subscribe: ['*'] });
    expect(Math.abs(claims.exp - (Date.now() / 1000 + 3600))).toBeLessThan(30);

    const client = await RawSseClient.connect(port, {
      path: subscribePath(['https://ex.com/cli']),
      headers: { Authorization: `Bearer ${token}` },
    });
    try {
      expect(client.status).toBe(200);
      const answer = await hub.publish({ topic: 'https://ex.com/cli', data: 'from token' }, token);
      expect(answer.status, answer.body).toBe(200);
      await client.waitForBlocks(1, (b) => b.data === 'from token');
    } finally {
      client.destroy();
    }
  });

  it('andon publish publishes, and prints the id the subscriber receives', async () => {
    const client = await RawSseClient.connect(port, {
      path: subscribePath(['https://ex.com/cli/publish']),
      headers: { Authorization: `Bearer ${await hub.subscriberToken(['*'])}` },
    });
    try {
      const result = await runAndon(
        ['publish', '--topic', 'https://ex.com/cli/publish', '--data', 'D', '--hub', hub.hubUrl],
        { MERCURE_JWT_KEY: TEST_KEY },
      );
      expect(result.code, result.stderr).toBe(0);
      const id = result.stdout.trim();
      expect(id).toMatch(/^urn:uuid:/);
      const [event] = await client.waitForEvents(1);
      expect(event).toMatchObject({ data: 'D', id });
    } finally {
      client.destroy();
    }
  });

  it('andon publish prints the refusal and exits 1 when the hub refuses', async () => {
    const wrongKey = await runAndon(
      ['publish', '--topic', 'https://ex.com/cli', '--data', 'D', '--hub', hub.hubUrl],
      { MERCURE_JWT_KEY: 'a-different-key-long-enough-for-hs256!!' },
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toBe('');
    expect(wrongKey.stderr).toMatch(/the hub answered 401: .*signature does not verify/);

    const reserved = await runAndon(
      ['publish', '--topic', '/.well-known/mercure/subscriptions/x', '--hub', hub.hubUrl],
      { MERCURE_JWT_KEY: TEST_KEY },
    );
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toMatch(/the hub answered 403: .*reserves/);
  });

  it('a bad key setting stops the start with exit 2, naming the setting and not the key', async () => {
    const secret = 'not-a-pem-but-a-secret-value-0123456789';
    const flag = await runAndon(['serve', '--jwt-alg', 'RS256', '--jwt-key', secret]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--jwt-key.*RS256 needs a PEM public key/);
    expect(flag.stdout + flag.stderr).not.toContain(secret);

    const pem = '-----BEGIN PUBLIC KEY-----\nTm90QUtleUF0QWxsU2VjcmV0\n-----END PUBLIC KEY-----';
    const env = await runAndon(['serve', '--port', '0'], {
      MERCURE_PUBLISHER_JWT_KEY: pem,
      MERCURE_JWT_ALG: 'ES256',
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/MERCURE_PUBLISHER_JWT_KEY/);
    expect(env.stdout + env.stderr).not.toContain('Tm90QUtleUF0QWxsU2VjcmV0');
  });
});
