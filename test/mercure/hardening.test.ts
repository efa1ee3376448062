/**
 * Hostile input to the hub: malformed forms, oversized bodies, control
 * characters, absurd selectors and templates, absurd Last-Event-IDs, forged
 * and broken tokens, floods past the configured limits. Each must get a 4xx
 * (or, at a capacity limit, a 503) whose body says what was wrong, must not
 * publish anything, and must leave the hub serving: after each case a live
 * subscriber, and a new one, receive a fresh update.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/mercure/auth.js';
import { startHub, TEST_KEY, type TestHub } from '../helpers/hub.js';
import { chunk, rawRequest } from '../helpers/raw-http.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitFor } from '../helpers/wait.js';

const HUB_PATH = '/.well-known/mercure';
/** Data of every update a hostile request tries to publish: none may ever be delivered. */
const HOSTILE = 'hostile';
const OTHER_KEY = 'another-key-that-is-long-enough-for-hs256';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned token (`alg: none`) granting everything. */
const UNSIGNED_TOKEN = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
  mercure: { publish: ['*'], subscribe: ['*'] },
})}.`;

function subscribePath(selectors: readonly string[], extra = ''): string {
  const query = selectors.map((s) => `topic=${encodeURIComponent(s)}`).join('&');
  return `${HUB_PATH}?${query}${extra}`;
}

/** A hub under attack, with a subscriber that must keep receiving. */
interface Target {
  readonly hub: TestHub;
  readonly port: number;
  readonly live: RawSseClient;
  readonly subscriberToken: string;
  /** Publishes a fresh update and waits for the live subscriber (and, unless `fresh` is false, a new one) to receive it. */
  expectServing(options?: { fresh?: boolean }): Promise<void>;
  close(): Promise<void>;
}

async function target(args: readonly string[]): Promise<Target> {
  const hub = await startHub(args);
  const port = Number(new URL(hub.base).port);
  const subscriberToken = await hub.subscriberToken(['*']);
  const subscribe = () =>
    RawSseClient.connect(port, {
      path: subscribePath(['*']),
      headers: { Authorization: `Bearer ${subscriberToken}` },
    });
  const live = await subscribe();
  expect(live.status).toBe(200);
  // Its own subject, so a rate limit spent by a test's publisher leaves it its own budget.
  const aliveToken = await signToken({ key: TEST_KEY, publish: ['*'], subject: 'alive' });
  let count = 0;
  return {
    hub,
    port,
    live,
    subscriberToken,
    async expectServing({ fresh = true } = {}) {
      const data = `alive ${++count}`;
      const newcomer = fresh ? await subscribe() : undefined;
      try {
        if (newcomer !== undefined) expect(newcomer.status).toBe(200);
        const answer = await hub.publish({ topic: 'https://ex.com/alive', data }, aliveToken);
        expect(answer.status, answer.body).toBe(200);
        await live.waitForBlocks(1, (b) => b.data === data);
        await newcomer?.waitForBlocks(1, (b) => b.data === data);
      } finally {
        newcomer?.destroy();
      }
      expect(live.ended).toBe(false);
      expect(live.events().filter((b) => b.data === HOSTILE)).toEqual([]);
    },
    async close() {
      live.destroy();
      await hub.close();
    },
  };
}

/** The refusal has `status` and a plain-text body matching `message`. */
function expectRefusal(
  response: { status: number; body: string; headers: Headers | Readonly<Record<string, string>> },
  status: number,
  message: RegExp,
): void {
  const headers = response.headers;
  const type = headers instanceof Headers ? headers.get('content-type') : headers['content-type'];
  expect(response.status, response.body).toBe(status);
  expect(response.body).toMatch(message);
  expect(type).toMatch(/^text\/plain/);
}

async function get(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  // A 200 is an endless stream: read the head, then hang up.
  const body = response.ok ? '' : await response.text();
  controller.abort();
  return { status: response.status, body, headers: response.headers };
}

describe('hostile publish requests', () => {
  let t: Target;
  let publisherToken: string;

  beforeAll(async () => {
    t = await target(['--max-body', '1KB', '--max-selectors', '3']);
    publisherToken = await t.hub.publisherToken();
  });
  afterAll(() => t.close());
  afterEach(() => t.expectServing());

  /** Posts raw bytes as a form, with a valid publisher token unless headers say otherwise. */
  async function post(body: Buffer | string, headers: Record<string, string> = {}) {
    const response = await fetch(t.hub.hubUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${publisherToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it.each([
    ['a bad percent-escape', 'topic=%ZZ&data=hostile', /malformed percent-escape/],
    ['a truncated percent-escape', 'topic=a&data=hostile%4', /malformed percent-escape/],
    ['a percent-escaped byte that is not UTF-8', 'topic=%FF&data=hostile', /not valid UTF-8/],
    ['an overlong UTF-8 sequence', 'topic=%C0%AF&data=hostile', /not valid UTF-8/],
    ['an escaped lone surrogate', 'topic=%ED%A0%80&data=hostile', /not valid UTF-8/],
    ['raw bytes that are not UTF-8', bytes('topic=a&data=hostile', [0xff, 0xfe]), /UTF-8/],
    ['a raw truncated UTF-8 sequence', bytes('topic=a', [0xe2, 0x82], '&data=hostile'), /UTF-8/],
    ['no topic', 'data=hostile', /no "topic" field/],
    ['an empty topic', 'topic=&data=hostile', /topic is empty/],
    ['NUL in a topic', 'topic=a%00b&data=hostile', /control character/],
    ['CR in a topic', 'topic=a%0Db&data=hostile', /control character/],
    ['LF in a topic', 'topic=a%0Ab&data=hostile', /control character/],
    ['NUL in an alternate topic', 'topic=a&topic=b%00&data=hostile', /control character/],
    ['NUL in the id', 'topic=a&id=x%00y&data=hostile', /"id".*control character/],
    ['CR in the id', 'topic=a&id=x%0Dy&data=hostile', /"id".*control character/],
    ['LF in the id', 'topic=a&id=x%0A%0Adata:%20forged&data=hostile', /"id".*control character/],
    ['NUL in the type', 'topic=a&type=x%00&data=hostile', /"type".*control character/],
    ['CR in the type', 'topic=a&type=x%0D&data=hostile', /"type".*control character/],
    ['LF in the type', 'topic=a&type=x%0Adata:%20forged&data=hostile', /"type".*control character/],
    ['an id starting with #', 'topic=a&id=%23abc&data=hostile', /must not start with "#"/],
    ['the id "earliest"', 'topic=a&id=earliest&data=hostile', /reserved/],
    ['an empty id', 'topic=a&id=&data=hostile', /"id" field is empty/],
    ['a word as retry', 'topic=a&retry=soon&data=hostile', /"retry".*not a whole number/],
    ['a negative retry', 'topic=a&retry=-1&data=hostile', /"retry".*not a whole number/],
    ['an exponent as retry', 'topic=a&retry=1e3&data=hostile', /"retry".*not a whole number/],
    ['a huge retry', `topic=a&retry=${'9'.repeat(30)}&data=hostile`, /not a whole number/],
    ['too many topics', `${'topic=t&'.repeat(65)}data=hostile`, /at most 64 are accepted/],
  ])('refuses %s with 400', async (_case, body, message) => {
    expectRefusal(await post(body), 400, message);
  });

  it('refuses a topic in the reserved namespace with 403', async () => {
    const body = `topic=${encodeURIComponent('/.well-known/mercure/subscriptions/x')}&data=hostile`;
    expectRefusal(await post(body), 403, /reserves for its own events/);
  });

  it.each([
    ['application/json', '{"topic":"a","data":"hostile"}'],
    ['text/plain', 'topic=a&data=hostile'],
    ['multipart/form-data; boundary=x', 'topic=a&data=hostile'],
    ['application/x-www-form-urlencodedX', 'topic=a&data=hostile'],
  ])('refuses Content-Type %s with 415', async (type, body) => {
    expectRefusal(
      await post(body, { 'Content-Type': type }),
      415,
      /Content-Type: application\/x-www-form-urlencoded/,
    );
  });

  it('refuses a body without Content-Type with 415', async () => {
    const response = await fetch(t.hub.hubUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${publisherToken}` },
      body: new Uint8Array(Buffer.from('topic=a&data=hostile')),
    });
    expectRefusal(
      { status: response.status, body: await response.text(), headers: response.headers },
      415,
      /got none/,
    );
  });

  it('refuses a body over --max-body with 413, from its Content-Length, unread', async () => {
    const body = Buffer.from(`topic=a&data=hostile&pad=${'x'.repeat(2000)}`);
    const response = await rawRequest(t.port, {
      method: 'POST',
      path: HUB_PATH,
      headers: {
        Authorization: `Bearer ${publisherToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': String(body.length),
      },
      body: [body],
    });
    expectRefusal(response, 413, /larger than this hub accepts \(1024 bytes\).*--max-body/);
    expect(response.headers.connection).toBe('close');
  });

  it('refuses a chunked body (no Content-Length) once it passes --max-body, without waiting for its end', async () => {
    // Never terminated: the hub must answer from the size alone.
    const chunks = Array.from({ length: 6 }, (_, i) =>
      chunk(Buffer.from(i === 0 ? 'topic=a&data=hostile&pad=' : 'x'.repeat(300))),
    );
    const response = await rawRequest(t.port, {
      method: 'POST',
      path: HUB_PATH,
      headers: {
        Authorization: `Bearer ${publisherToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Transfer-Encoding': 'chunked',
      },
      body: chunks,
    });
    expectRefusal(response, 413, /larger than this hub accepts \(1024 bytes\)/);
  });

  it('accepts a body just under --max-body', async () => {
    const prefix = 'topic=https%3A%2F%2Fex.com%2Falive&data=';
    const response = await post(`${prefix}${'y'.repeat(1024 - prefix.length)}`);
    expect(response.status, response.body).toBe(200);
  });

  it('refuses a token signed with another key with 401 and an invalid_token challenge', async () => {
    const forged = await signToken({ key: OTHER_KEY, publish: ['*'] });
    const response = await post('topic=a&data=hostile', { Authorization: `Bearer ${forged}` });
    expectRefusal(response, 401, /signature does not verify/);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="mercure", error="invalid_token", error_description="/,
    );
  });

  it('refuses an unsigned (alg none) token with 401', async () => {
    const response = await post('topic=a&data=hostile', {
      Authorization: `Bearer ${UNSIGNED_TOKEN}`,
    });
    expectRefusal(response, 401, /unsigned \(alg "none"\)/);
  });

  it('refuses an expired token with 401, saying it expired', async () => {
    const expired = await signToken({ key: TEST_KEY, publish: ['*'], expiresIn: -3600 });
    const response = await post('topic=a&data=hostile', { Authorization: `Bearer ${expired}` });
    expectRefusal(response, 401, /token expired at .* ago\); issue a new one/);
  });

  it.each([
    ['Basic x', /Basic scheme/],
    ['Basic dXNlcjpwYXNz', /Basic scheme/],
    ['Bearer', /"Bearer" but no token/],
    ['Bearer a b', /more than one value/],
    ['Bearer not-a-jws', /malformed/],
    ['Bearer a.b.c', /malformed/],
    ['Bearer ....', /malformed/],
  ])('refuses the Authorization header %j with 401', async (header, message) => {
    expectRefusal(await post('topic=a&data=hostile', { Authorization: header }), 401, message);
  });

  it('refuses a publish without any token with 401', async () => {
    expectRefusal(await t.hub.publish({ topic: 'a', data: HOSTILE }, null), 401, /needs a token/);
  });

  it('refuses tokens without a mercure.publish claim with 403', async () => {
    for (const token of [
      await signToken({ key: TEST_KEY }),
      await signToken({ key: TEST_KEY, subscribe: ['*'] }),
      await signToken({ key: TEST_KEY, publish: [] }),
    ]) {
      expectRefusal(
        await t.hub.publish({ topic: 'a', data: HOSTILE }, token),
        403,
        /no mercure.publish claim/,
      );
    }
  });

  it('refuses a topic outside the claim with 403 and delivers nothing', async () => {
    const token = await t.hub.publisherToken(['https://ex.com/a/{id}']);
    expectRefusal(
      await t.hub.publish({ topic: 'https://ex.com/b/1', data: HOSTILE }, token),
      403,
      /does not cover the topic "https:\/\/ex.com\/b\/1"/,
    );
    // One topic outside the claim refuses the whole update, alternates included.
    expectRefusal(
      await t.hub.publish(
        { topic: ['https://ex.com/a/1', 'https://ex.com/b/1'], data: HOSTILE },
        token,
      ),
      403,
      /does not cover/,
    );
    const allowed = await t.hub.publish({ topic: 'https://ex.com/a/1', data: 'allowed' }, token);
    expect(allowed.status).toBe(200);
    await t.live.waitForBlocks(1, (b) => b.data === 'allowed');
  });

  it.each(['PUT', 'DELETE', 'PATCH'])('answers %s on the hub path with 405', async (method) => {
    const response = await fetch(t.hub.hubUrl, {
      method,
      headers: {
        Authorization: `Bearer ${publisherToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'topic=a&data=hostile',
    });
    expectRefusal(
      { status: response.status, body: await response.text(), headers: response.headers },
      405,
      new RegExp(`Method ${method} is not allowed here: subscribe with GET, publish with POST`),
    );
    expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS');
  });
});

describe('hostile subscribe requests', () => {
  let t: Target;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await target(['--max-selectors', '3']);
    auth = { Authorization: `Bearer ${t.subscriberToken}` };
  });
  afterAll(() => t.close());
  afterEach(() => t.expectServing());

  it.each([
    ['no selector', HUB_PATH, /at least one "topic"/],
    ['an empty selector', `${HUB_PATH}?topic=`, /topic selector is empty/],
    ['NUL in a selector', `${HUB_PATH}?topic=a%00b`, /control character/],
    ['CR LF in a selector', `${HUB_PATH}?topic=a%0D%0Ab`, /control character/],
    ['NUL in the second selector', `${HUB_PATH}?topic=*&topic=%00`, /control character/],
    ['more selectors than --max-selectors', subscribePath(['a', 'b', 'c', 'd']), /at most 3/],
    ['a selector past 2048 characters', subscribePath(['x'.repeat(2049)]), /longer than 2048/],
    [
      'a template past 2048 characters',
      subscribePath([`https://ex.com/${'{a}'.repeat(700)}`]),
      /longer than 2048/,
    ],
    [
      'a template with 33 expressions',
      subscribePath([Array.from({ length: 33 }, (_, i) => `{v${i}}`).join('')]),
      /too many expressions: the limit is 32/,
    ],
  ])('refuses %s with 400', async (_case, path, message) => {
    expectRefusal(await get(`${t.hub.base}${path}`, auth), 400, message);
  });

  it('accepts exactly --max-selectors selectors', async () => {
    const client = await RawSseClient.connect(t.port, {
      path: subscribePath(['a', 'b', 'c']),
      headers: auth,
    });
    expect(client.status).toBe(200);
    client.destroy();
  });

  it('answers a request line past 16 KB (100 long selectors) with 431 and a sentence', async () => {
    const response = await rawRequest(t.port, {
      method: 'GET',
      path: subscribePath(Array.from({ length: 100 }, (_, i) => `${i}${'x'.repeat(2000)}`)),
      headers: auth,
    });
    expect(response.status).toBe(431);
    expect(response.body).toMatch(/headers are larger than this server accepts/);
  });

  it('ends a stream whose client sends garbage after its request, without writing into it', async () => {
    const client = await RawSseClient.connect(t.port, {
      path: subscribePath(['*']),
      headers: auth,
    });
    expect(client.status).toBe(200);
    let raw = '';
    client.socket.on('data', (bytes: Buffer) => {
      raw += bytes.toString('latin1');
    });
    client.socket.write('NOT\0HTTP\r\n\r\n');
    await waitFor(() => client.closed, 'the hub to close the connection');
    expect(raw).not.toMatch(/HTTP\/1\.1/);
  });

  it('refuses a token signed with another key with 401', async () => {
    const forged = await signToken({ key: OTHER_KEY, subscribe: ['*'] });
    const response = await get(`${t.hub.base}${subscribePath(['*'])}`, {
      Authorization: `Bearer ${forged}`,
    });
    expectRefusal(response, 401, /signature does not verify/);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('refuses a forged token in the query string with 401', async () => {
    const forged = await signToken({ key: OTHER_KEY, subscribe: ['*'] });
    const response = await get(`${t.hub.base}${subscribePath(['*'], `&authorization=${forged}`)}`);
    expectRefusal(response, 401, /signature does not verify/);
  });

  it('refuses an unsigned (alg none) token with 401', async () => {
    const response = await get(`${t.hub.base}${subscribePath(['*'])}`, {
      Authorization: `Bearer ${UNSIGNED_TOKEN}`,
    });
    expectRefusal(response, 401, /unsigned \(alg "none"\)/);
  });

  it('refuses an expired token with 401, saying it expired', async () => {
    const expired = await t.hub.subscriberToken(['*'], { expiresIn: -3600 });
    const response = await get(`${t.hub.base}${subscribePath(['*'])}`, {
      Authorization: `Bearer ${expired}`,
    });
    expectRefusal(response, 401, /token expired at/);
  });

  it('refuses Authorization: Basic with 401', async () => {
    const response = await get(`${t.hub.base}${subscribePath(['*'])}`, {
      Authorization: 'Basic x',
    });
    expectRefusal(response, 401, /Basic scheme/);
  });

  it('refuses a subscriber without a token (no --anonymous) with 401', async () => {
    expectRefusal(
      await get(`${t.hub.base}${subscribePath(['*'])}`),
      401,
      /does not accept anonymous subscribers/,
    );
  });

  it('refuses a Last-Event-ID with a NUL byte with 400', async () => {
    const response = await rawRequest(t.port, {
      method: 'GET',
      path: subscribePath(['*']),
      headers: { ...auth, 'Last-Event-ID': 'a\0b' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/not valid HTTP\/1\.1 .*control characters such as NUL/);
    expect(response.headers.connection).toBe('close');
  });

  it.each([
    ['10 KB long', 'x'.repeat(10 * 1024)],
    ['non-ASCII', 'événement-✓-🚀'],
    ['made of bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x41]).toString('latin1')],
  ])('treats a Last-Event-ID %s as unknown: a reset, then live', async (_case, id) => {
    const client = await RawSseClient.connect(t.port, {
      path: subscribePath(['*']),
      headers: { ...auth, 'Last-Event-ID': id },
    });
    try {
      expect(client.status).toBe(200);
      expect(client.headers['last-event-id']).toBe('earliest');
      const [reset] = await client.waitForBlocks(1, (b) => b.event === 'reset');
      expect(JSON.parse(reset!.data!)).toMatchObject({ reason: 'unknown-last-event-id' });
      const answer = await t.hub.publish({ topic: 'https://ex.com/after', data: 'after reset' });
      await client.waitForBlocks(1, (b) => b.data === 'after reset');
      expect(client.events().at(-1)?.id).toBe(answer.body);
    } finally {
      client.destroy();
    }
  });

  it('treats a NUL in the lastEventID query parameter as an unknown id', async () => {
    const client = await RawSseClient.connect(t.port, {
      path: subscribePath(['*'], '&lastEventID=a%00%0D%0Ab'),
      headers: auth,
    });
    try {
      expect(client.status).toBe(200);
      const [reset] = await client.waitForBlocks(1, (b) => b.event === 'reset');
      expect(JSON.parse(reset!.data!).lastEventId).toBe('a\0\r\nb');
    } finally {
      client.destroy();
    }
  });

  it('replays the whole history for Last-Event-ID: earliest', async () => {
    const first = await t.hub.publish({ topic: 'https://ex.com/h', data: 'history 1' });
    const second = await t.hub.publish({ topic: 'https://ex.com/h', data: 'history 2' });
    const client = await RawSseClient.connect(t.port, {
      path: subscribePath(['https://ex.com/h']),
      headers: { ...auth, 'Last-Event-ID': 'earliest' },
    });
    try {
      expect(client.status).toBe(200);
      expect(client.headers['last-event-id']).toBe('earliest');
      const events = await client.waitForEvents(2);
      expect(events.map((b) => b.id)).toEqual([first.body, second.body]);
      expect(events.map((b) => b.data)).toEqual(['history 1', 'history 2']);
    } finally {
      client.destroy();
    }
  });
});

describe('pathological URI templates', () => {
  let t: Target;
  const subscribers: RawSseClient[] = [];

  beforeAll(async () => {
    t = await target([]);
  });
  afterAll(async () => {
    for (const client of subscribers) client.destroy();
    await t.close();
  });

  const vars = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
  /** Templates at the limits that a hub must serve: one per subscription, matched in linear time. */
  const SERVED: readonly string[] = [
    vars(32, (i) => `{v${i}}`).join(''),
    vars(32, (i) => `{+v${i}}`).join(''),
    vars(32, (i) => `{#v${i}}`).join(''),
    vars(32, (i) => `{v${i}:3}`).join(''),
    vars(32, (i) => `{+v${i}:9}`).join(''),
    `https://ex.com/${vars(8, (i) => `{+v${i}}/${'y'.repeat(40)}/`).join('')}`,
    `${'x'.repeat(1900)}${vars(16, (i) => `{v${i}}`).join('')}`,
  ];
  /** Templates as ambiguous as the syntax allows: served, or refused for their size. */
  const SERVED_OR_REFUSED: readonly string[] = [
    vars(32, (i) => `{/v${i}*}`).join(''),
    vars(16, (i) => `{.v${i}*}{;w${i}*}`).join(''),
    `{?${vars(64, (i) => `v${i}`).join(',')}}`,
    `{&${vars(64, (i) => `v${i}*`).join(',')}}`,
    `{;${vars(64, (i) => `v${i}`).join(',')}}`,
    `https://ex.com/${vars(32, (i) => `{+v${i}}/${'y'.repeat(40)}/`).join('')}`,
  ];
  /** Topics of the maximal length that nearly match: a simulation has to read them to the end. */
  const NEAR_MISSES: readonly string[] = [
    `${'x'.repeat(2047)} `,
    `${'x'.repeat(2047)}%`,
    `${'a,'.repeat(1023)}%`,
    `${'/y'.repeat(1023)} `,
    `?${'v1=a&'.repeat(409)}%`,
    `;${'v1=a;'.repeat(340)}v1=`.slice(0, 2047).padEnd(2048, '{'),
    `https://ex.com/${'/'.repeat(2000)}`.slice(0, 2047).padEnd(2048, ' '),
    `${'x'.repeat(1900)}${'%4'.repeat(74)}`,
  ];

  it('refuses each or compiles it fast, and matches near misses of 2048 characters quickly', async () => {
    const accepted: string[] = [];
    for (const template of [...SERVED, ...SERVED_OR_REFUSED]) {
      const started = performance.now();
      const response = await get(`${t.hub.base}${subscribePath([template])}`, {
        Authorization: `Bearer ${t.subscriberToken}`,
      });
      expect(performance.now() - started).toBeLessThan(2000);
      if (response.status === 200) accepted.push(template);
      else if (SERVED.includes(template)) expect.fail(`${template} refused: ${response.body}`);
      else expectRefusal(response, 400, /limit is \d+/);
    }
    for (const template of accepted) {
      const client = await RawSseClient.connect(t.port, {
        path: subscribePath([template]),
        headers: { Authorization: `Bearer ${t.subscriberToken}` },
      });
      expect(client.status).toBe(200);
      subscribers.push(client);
    }

    const started = performance.now();
    for (const topic of NEAR_MISSES) {
      const answer = await t.hub.publish({ topic, data: 'near miss' });
      expect(answer.status, answer.body).toBe(200);
    }
    await t.expectServing();
    const elapsed = performance.now() - started;
    // Each update is matched against every template above; linear time keeps this far under.
    expect(elapsed).toBeLessThan(3000);
    for (const client of subscribers) {
      expect(client.events().filter((b) => b.data === 'near miss')).toEqual([]);
    }

    // And the first template still matches what it should.
    const hit = await t.hub.publish({ topic: 'x'.repeat(2048), data: 'hit' });
    expect(hit.status).toBe(200);
    await subscribers[0]!.waitForBlocks(1, (b) => b.data === 'hit');
  });
});

describe('capacity limits', () => {
  it('answers the subscriber past --max-subscribers with 503 and Retry-After; the others keep working', async () => {
    const t = await target(['--max-subscribers', '2']);
    try {
      // `live` is the first subscriber.
      const second = await RawSseClient.connect(t.port, {
        path: subscribePath(['*']),
        headers: { Authorization: `Bearer ${t.subscriberToken}` },
      });
      expect(second.status).toBe(200);
      const third = await get(`${t.hub.hubUrl}?topic=*`, {
        Authorization: `Bearer ${t.subscriberToken}`,
      });
      expectRefusal(third, 503, /at its limit of 2 subscribers; retry shortly/);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      await t.expectServing({ fresh: false });
      await second.waitForBlocks(1, (b) => b.data === 'alive 1');

      // A place freed is a place taken.
      second.destroy();
      await waitFor(() => t.hub.server.hub.engine.size === 1, 'the hub to see the subscriber go');
      await t.expectServing();
    } finally {
      await t.close();
    }
  });

  it('answers publishes past --publish-rate with 429 and Retry-After; other publishers go on', async () => {
    const t = await target(['--publish-rate', '2']);
    try {
      const token = await t.hub.publisherToken();
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          t.hub.publish({ topic: 'https://ex.com/burst', data: `burst ${i}` }, token),
        ),
      );
      const ok = answers.filter((a) => a.status === 200);
      const limited = answers.filter((a) => a.status === 429);
      // The burst is 2; a third only if the six took over 500 ms to arrive (2 per second refill).
      expect(ok.length).toBeGreaterThanOrEqual(2);
      expect(ok.length).toBeLessThanOrEqual(3);
      expect(ok.length + limited.length).toBe(6);
      for (const answer of limited) {
        expectRefusal(answer, 429, /publishes more than 2 updates per second; retry in \d+ s/);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      // Exactly the accepted ones were delivered.
      await t.live.waitForEvents(ok.length);
      expect(
        t.live
          .events()
          .map((b) => b.id)
          .sort(),
      ).toEqual(ok.map((a) => a.body).sort());
      // Another token has its own budget.
      await t.expectServing();
    } finally {
      await t.close();
    }
  });
});
