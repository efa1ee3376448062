/**
 * Every MUST of draft-dunglas-mercure-07 that a hub can be held to, one test
 * each, named after the requirement, over real sockets with a real
 * EventSource client (or the raw client, where headers and wire blocks
 * matter).
 *
 * "Not received" is proven without waiting: after the update that must not
 * arrive, a public sentinel goes to a topic the same subscriber matches.
 * The hub delivers each connection's events in publication order, so a
 * subscriber whose first new event is the sentinel never got the update.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/mercure/auth.js';
import { EventSourceClient, type EventSourceClientOptions } from '../helpers/event-source.js';
import { startHub, TEST_KEY, type TestHub } from '../helpers/hub.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { waitFor } from '../helpers/wait.js';

const HUB_PATH = '/.well-known/mercure';
const SUBSCRIPTIONS = `${HUB_PATH}/subscriptions`;
/** Matches every subscription event topic and every URL of the subscriptions API. */
const SUBSCRIPTIONS_TEMPLATE = `${SUBSCRIPTIONS}{/topic}{/subscriber}`;

/** A topic no other test uses. */
function unique(prefix = 'https://example.com/t'): string {
  return `${prefix}/${randomUUID()}`;
}

/** The hub path and query subscribing to `selectors`, plus any other parameters. */
function hubPath(selectors: readonly string[], extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const selector of selectors) query.append('topic', selector);
  for (const [name, value] of Object.entries(extra)) query.append(name, value);
  return `${HUB_PATH}?${query}`;
}

function portOf(hub: TestHub): number {
  return Number(new URL(hub.base).port);
}

/** The `exp` claim of a compact JWS, in seconds. */
function expOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
  return payload.exp as number;
}

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** An EventSource on `selectors`, open (the hub has attached it) before this resolves. */
async function listen(
  hub: TestHub,
  selectors: readonly string[],
  options: EventSourceClientOptions & { token?: string; query?: Record<string, string> } = {},
): Promise<EventSourceClient> {
  const extra = { ...options.query };
  if (options.token !== undefined) extra.authorization = options.token;
  const client = new EventSourceClient(`${hub.base}${hubPath(selectors, extra)}`, options);
  opened.push(client);
  await client.waitForOpen();
  return client;
}

/** A raw SSE connection to the hub. */
async function connectRaw(
  hub: TestHub,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawSseClient> {
  const client = await RawSseClient.connect(portOf(hub), { path, headers });
  opened.push({ close: () => client.destroy() });
  return client;
}

/**
 * Publishes a public sentinel on `topic`, waits for every client to get it,
 * and checks it is the only event each received since `since` (a count per
 * client): whatever was published before it was not delivered.
 */
async function expectOnlySentinel(
  hub: TestHub,
  topic: string,
  clients: readonly EventSourceClient[],
  since: readonly number[] = clients.map(() => 0),
): Promise<void> {
  const id = `sentinel-${randomUUID()}`;
  expect((await hub.publish({ topic, id, data: 'sentinel' })).status).toBe(200);
  for (const [i, client] of clients.entries()) {
    await waitFor(() => client.events.some((e) => e.lastEventId === id), `sentinel on client ${i}`);
    const got = client.events.slice(since[i] ?? 0).map((e) => e.lastEventId);
    expect(got, `client ${i} received only the sentinel`).toEqual([id]);
  }
}

/** Publishes a public update with the given headers (and `authorization` query token); resolves with the status. */
async function publishWith(
  hub: TestHub,
  topic: string,
  headers: Record<string, string>,
  queryToken?: string,
): Promise<number> {
  const query = queryToken === undefined ? '' : `?authorization=${queryToken}`;
  const response = await fetch(`${hub.hubUrl}${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ topic, data: 'token precedence' }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function postBody(hub: TestHub, body: string, contentType: string): Promise<Response> {
  return fetch(hub.hubUrl, {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      Authorization: `Bearer ${await hub.publisherToken()}`,
    },
    body,
  });
}

/** Accepts subscribers without a token. */
let anonymous: TestHub;
/** Requires a token from every subscriber. */
let secured: TestHub;
beforeAll(async () => {
  [anonymous, secured] = await Promise.all([startHub(['--anonymous']), startHub([])]);
});
afterAll(async () => {
  await Promise.all([anonymous?.close(), secured?.close()]);
});

describe('Discovery', () => {
  it('MUST serve the hub at the well-known fixed path /.well-known/mercure', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    const published = await anonymous.publish({ topic, data: 'hello' });
    expect(published.status).toBe(200);
    const [event] = await client.waitForEvents(1);
    expect(event).toMatchObject({ data: 'hello', lastEventId: published.body });
  });

  it('MUST make the target of a rel="mercure" link a hub implementing the protocol', async () => {
    const page = await fetch(`${anonymous.base}/`);
    await page.arrayBuffer();
    expect(page.status).toBe(200);
    const link = page.headers.get('link') ?? '';
    expect(link).toBe('</.well-known/mercure>; rel="mercure"');
    const target = /<([^>]*)>;\s*rel="mercure"/.exec(link)?.[1] ?? '';
    const hubUrl = new URL(target, `${anonymous.base}/`);
    expect(hubUrl.pathname).toBe(HUB_PATH);

    const topic = unique();
    const client = new EventSourceClient(`${hubUrl}?topic=${encodeURIComponent(topic)}`);
    opened.push(client);
    await client.waitForOpen();
    await anonymous.publish({ topic, data: 'via discovery' });
    expect((await client.waitForEvents(1))[0]?.data).toBe('via discovery');
  });
});

describe('Topic Selectors', () => {
  it('MUST match every topic with the reserved selector "*"', async () => {
    const client = await listen(anonymous, ['*']);
    const topics = [unique(), 'a raw string', 'urn:isbn:0451450523'];
    for (const topic of topics) await anonymous.publish({ topic, data: topic });
    await waitFor(
      () => topics.every((t) => client.events.some((e) => e.data === t)),
      'every topic through "*"',
    );
  });

  it('MUST match a topic that is exactly the same string as the selector', async () => {
    const raw = `raw string ${randomUUID()} with spaces & symbols %zz`;
    const client = await listen(anonymous, [raw]);
    await anonymous.publish({ topic: `${raw}x`, data: 'longer' });
    await anonymous.publish({ topic: raw.toUpperCase(), data: 'other case' });
    await anonymous.publish({ topic: raw, id: `exact-${randomUUID()}`, data: 'exact' });
    const [event] = await client.waitForEvents(1);
    expect(event?.data).toBe('exact');
    await expectOnlySentinel(anonymous, raw, [client], [1]);
  });

  it('MUST match a topic that matches the selector as a URI template', async () => {
    const base = unique('https://example.com/books');
    const client = await listen(anonymous, [`${base}/{id}`]);
    await anonymous.publish({ topic: `${base}/1/reviews`, data: 'not an expansion' });
    await anonymous.publish({ topic: `${base}/42`, data: 'book 42' });
    const [event] = await client.waitForEvents(1);
    expect(event?.data).toBe('book 42');
    await expectOnlySentinel(anonymous, `${base}/sentinel`, [client], [1]);
  });

  it('MUST match a selector with a string equal to it, so a URI template matches itself', async () => {
    const template = `${unique('https://example.com/books')}/{id}`;
    // `{id}` cannot expand to "{id}" (braces are percent-encoded): only step 2 matches.
    const client = await listen(anonymous, [template]);
    // The same rule lets a publish claim holding the template authorize it.
    const allowed = await anonymous.publish(
      { topic: template, data: 'the template itself' },
      await anonymous.publisherToken([template]),
    );
    expect(allowed.status).toBe(200);
    expect((await client.waitForEvents(1))[0]?.data).toBe('the template itself');
  });
});

describe('Subscription', () => {
  it('MUST take topic selectors from one or several "topic" query parameters', async () => {
    const [a, b] = [unique(), unique('https://example.com/users')];
    const client = await listen(anonymous, [a, 'https://example.com/nothing', `${b}/{id}`]);
    await anonymous.publish({ topic: a, data: 'a' });
    await anonymous.publish({ topic: `${b}/7`, data: 'b7' });
    const events = await client.waitForEvents(2);
    expect(events.map((e) => e.data)).toEqual(['a', 'b7']);
  });

  it('MUST NOT dispatch a private update to subscribers not authorized to receive it', async () => {
    const topic = unique();
    const withoutToken = await listen(anonymous, [topic]);
    const everything = await listen(anonymous, ['*']);
    const other = await listen(anonymous, [topic], {
      token: await anonymous.subscriberToken(['https://example.com/someone-else/{id}']),
    });
    const noClaim = await listen(anonymous, [topic], {
      token: await signToken({ key: TEST_KEY, payload: { user: 'x' } }),
    });
    const entitled = await listen(anonymous, [topic], {
      token: await anonymous.subscriberToken([topic]),
    });
    await anonymous.publish({ topic, data: 'secret', private: 'on' });
    expect((await entitled.waitForEvents(1))[0]?.data).toBe('secret');
    await expectOnlySentinel(anonymous, topic, [withoutToken, everything, other, noClaim]);
  });

  it('MUST send updates as text/event-stream compliant events', async () => {
    const topic = unique();
    const raw = await connectRaw(anonymous, hubPath([topic]));
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toMatch(/^text\/event-stream(;|$)/);
    const es = await listen(anonymous, [topic]);
    const data = 'UTF-8: é ✓ 😀 and a colon: here';
    const { body: id } = await anonymous.publish({ topic, data, type: 'change' });
    const [block] = await raw.waitForEvents(1);
    expect(block).toEqual({ id, event: 'change', data, comments: [] });
    await anonymous.publish({ topic, data: 'plain' });
    expect((await es.waitForEvents(1))[0]).toMatchObject({ type: 'message', data: 'plain' });
  });

  it('MUST support the SSE "id" property, the data being the new version of the topic', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    const id = `https://example.com/revisions/${randomUUID()}`;
    const published = await anonymous.publish({
      topic,
      id,
      data: '{"@id":"/books/1","title":"v2"}',
    });
    expect(published.body).toBe(id);
    expect((await client.waitForEvents(1))[0]).toEqual({
      type: 'message',
      lastEventId: id,
      data: '{"@id":"/books/1","title":"v2"}',
    });
  });

  it('MUST support the SSE "event" property (type)', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic], { types: ['message', 'book-updated'] });
    await anonymous.publish({ topic, type: 'book-updated', data: 'typed' });
    await anonymous.publish({ topic, data: 'untyped' });
    const events = await client.waitForEvents(2);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['book-updated', 'typed'],
      ['message', 'untyped'],
    ]);
  });

  it('MUST support the SSE "retry" property', async () => {
    const topic = unique();
    const raw = await connectRaw(anonymous, hubPath([topic]));
    const { body: id } = await anonymous.publish({ topic, retry: '4321', data: 'with retry' });
    const [block] = await raw.waitForEvents(1);
    expect(block).toMatchObject({ id, retry: '4321', data: 'with retry' });
  });

  it('MUST support multi-line data, blank and indented lines included', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    const raw = await connectRaw(anonymous, hubPath([topic]));
    const data = 'first line\n\n        indented after a blank\n: not a comment\nid: not an id\n';
    await anonymous.publish({ topic, data });
    expect((await client.waitForEvents(1))[0]?.data).toBe(data);
    expect((await raw.waitForEvents(1))[0]?.data).toBe(data);
  });
});

describe('Publication', () => {
  it('MUST encode the request as application/x-www-form-urlencoded (415 otherwise)', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    const json = await postBody(
      anonymous,
      JSON.stringify({ topic, data: 'json' }),
      'application/json',
    );
    expect(json.status).toBe(415);
    await json.arrayBuffer();
    const text = await postBody(anonymous, `topic=${encodeURIComponent(topic)}`, 'text/plain');
    expect(text.status).toBe(415);
    await text.arrayBuffer();
    const form = new FormData();
    form.append('topic', topic);
    const multipart = await fetch(anonymous.hubUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await anonymous.publisherToken()}` },
      body: form,
    });
    expect(multipart.status).toBe(415);
    await multipart.arrayBuffer();
    await expectOnlySentinel(anonymous, topic, [client]);
  });

  it('MUST dispatch an update to subscribers of its canonical or alternate topics', async () => {
    const [canonical, alternate, second] = [unique(), unique(), unique()];
    const onCanonical = await listen(anonymous, [canonical]);
    const onAlternate = await listen(anonymous, [alternate]);
    const onSecond = await listen(anonymous, [second]);
    const onBoth = await listen(anonymous, [canonical, alternate]);
    const { body: id } = await anonymous.publish({
      topic: [canonical, alternate, second],
      data: 'one update, three topics',
    });
    for (const client of [onCanonical, onAlternate, onSecond, onBoth]) {
      expect((await client.waitForEvents(1))[0]?.lastEventId).toBe(id);
    }
    // Matched twice, delivered once.
    await expectOnlySentinel(anonymous, canonical, [onBoth], [1]);
  });

  it('MUST NOT dispatch an update with a "private" field, whatever its value, to unauthorized subscribers', async () => {
    const topic = unique();
    const withoutToken = await listen(anonymous, [topic]);
    const entitled = await listen(anonymous, [topic], {
      token: await anonymous.subscriberToken([topic]),
    });
    for (const value of ['on', '', 'false', '0']) {
      expect(
        (await anonymous.publish({ topic, private: value, data: `private=${value}` })).status,
      ).toBe(200);
    }
    const events = await entitled.waitForEvents(4);
    expect(events.map((e) => e.data)).toEqual([
      'private=on',
      'private=',
      'private=false',
      'private=0',
    ]);
    await expectOnlySentinel(anonymous, topic, [withoutToken]);
  });

  it('MUST NOT accept a provided id starting with "#"', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    const refused = await anonymous.publish({ topic, id: '#42', data: 'fragment id' });
    expect(refused.status).toBe(400);
    await expectOnlySentinel(anonymous, topic, [client]);
  });

  it('MUST generate a valid IRI as the id when none is provided', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    const first = await anonymous.publish({ topic, data: 'a' });
    const second = await anonymous.publish({ topic, data: 'b' });
    const uuidUrn =
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(first.body).toMatch(uuidUrn);
    expect(second.body).toMatch(uuidUrn);
    expect(first.body).not.toBe(second.body);
    expect(new URL(first.body).protocol).toBe('urn:');
    const events = await client.waitForEvents(2);
    expect(events.map((e) => e.lastEventId)).toEqual([first.body, second.body]);
  });

  it("MUST answer a successful publication with a 2xx status and the update's id as body", async () => {
    const topic = unique();
    const id = `urn:example:${randomUUID()}`;
    const response = await anonymous.publish({ topic, id, data: 'x' });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(response.body).toBe(id);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain(;|$)/);
  });

  it('MUST require publishers to be authorized', async () => {
    const topic = unique();
    const client = await listen(anonymous, [topic]);
    expect((await anonymous.publish({ topic, data: 'no token' }, null)).status).toBe(401);
    const forged = await signToken({ key: `${TEST_KEY}-not-the-hub's`, publish: ['*'] });
    expect((await anonymous.publish({ topic, data: 'forged' }, forged)).status).toBe(401);
    const expired = await signToken({ key: TEST_KEY, publish: ['*'], expiresIn: -60 });
    expect((await anonymous.publish({ topic, data: 'expired' }, expired)).status).toBe(401);
    await expectOnlySentinel(anonymous, topic, [client]);
  });
});

describe('Authorization', () => {
  it('MUST use the JWS of the Authorization header, ignoring the query parameter and cookie', async () => {
    const topic = unique();
    const good = await secured.subscriberToken([topic]);
    const accepted = await connectRaw(secured, hubPath([topic], { authorization: 'garbage' }), {
      Authorization: `Bearer ${good}`,
      Cookie: 'mercureAuthorization=garbage',
    });
    expect(accepted.status).toBe(200);
    await secured.publish({ topic, private: 'on', data: 'for the header token' });
    expect((await accepted.waitForEvents(1))[0]?.data).toBe('for the header token');

    const refused = await connectRaw(secured, hubPath([topic], { authorization: good }), {
      Authorization: 'Bearer garbage',
      Cookie: `mercureAuthorization=${good}`,
    });
    expect(refused.status).toBe(401);

    const publisher = await secured.publisherToken();
    expect(
      await publishWith(secured, topic, { Authorization: `Bearer ${publisher}` }, 'garbage'),
    ).toBe(200);
    expect(await publishWith(secured, topic, { Authorization: 'Bearer garbage' }, publisher)).toBe(
      401,
    );
  });

  it('MUST use the authorization query parameter over the cookie when there is no header', async () => {
    const topic = unique();
    const good = await secured.subscriberToken([topic]);
    const accepted = await connectRaw(secured, hubPath([topic], { authorization: good }), {
      Cookie: 'mercureAuthorization=garbage',
    });
    expect(accepted.status).toBe(200);
    await secured.publish({ topic, private: 'on', data: 'for the query token' });
    expect((await accepted.waitForEvents(1))[0]?.data).toBe('for the query token');

    const refused = await connectRaw(secured, hubPath([topic], { authorization: 'garbage' }), {
      Cookie: `mercureAuthorization=${good}`,
    });
    expect(refused.status).toBe(401);

    const byCookie = await connectRaw(secured, hubPath([topic]), {
      Cookie: `other=1; mercureAuthorization=${good}`,
    });
    expect(byCookie.status).toBe(200);

    const publisher = await secured.publisherToken();
    const cookie = { Cookie: 'mercureAuthorization=garbage' };
    expect(await publishWith(secured, topic, cookie, publisher)).toBe(200);
    const badQuery = { Cookie: `mercureAuthorization=${publisher}`, Origin: secured.base };
    expect(await publishWith(secured, topic, badQuery, 'garbage')).toBe(401);
  });

  it('MUST carry "Bearer", a space and the JWS in the Authorization header', async () => {
    const topic = unique();
    const token = await secured.subscriberToken([topic]);
    for (const header of [token, `Basic ${token}`, 'Bearer', `Bearer${token}`]) {
      const client = await connectRaw(secured, hubPath([topic]), { Authorization: header });
      expect(client.status, header.slice(0, 12)).toBe(401);
    }
    const client = await connectRaw(secured, hubPath([topic]), {
      Authorization: `Bearer ${token}`,
    });
    expect(client.status).toBe(200);
    const publish = await fetch(secured.hubUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: await secured.publisherToken(),
      },
      body: new URLSearchParams({ topic }),
    });
    expect(publish.status).toBe(401);
    await publish.arrayBuffer();
  });

  it('MUST NOT authorize a publisher whose JWS has no mercure.publish claim, or an empty one', async () => {
    const topic = unique();
    const client = await listen(anonymous, ['*']);
    const tokens = [
      await signToken({ key: TEST_KEY }),
      await signToken({ key: TEST_KEY, subscribe: ['*'] }),
      await signToken({ key: TEST_KEY, publish: [] }),
    ];
    for (const token of tokens) {
      expect((await anonymous.publish({ topic, data: 'refused' }, token)).status).toBe(403);
    }
    await expectOnlySentinel(anonymous, topic, [client]);
  });

  it('MUST refuse with 403 and dispatch nothing unless every topic of the update matches mercure.publish', async () => {
    const base = unique('https://example.com/books');
    const forbidden = unique('https://example.com/secret');
    const client = await listen(anonymous, ['*']);
    const token = await anonymous.publisherToken([`${base}/{id}`]);
    for (const topic of [[`${base}/1`, forbidden], [forbidden, `${base}/1`], [forbidden]]) {
      expect((await anonymous.publish({ topic, data: 'partly allowed' }, token)).status).toBe(403);
    }
    await expectOnlySentinel(anonymous, `${base}/2`, [client]);
    const allowed = await anonymous.publish(
      { topic: [`${base}/3`, `${base}/4`], data: 'ok' },
      token,
    );
    expect(allowed.status).toBe(200);
  });

  it('MUST deliver a private update only to subscribers whose mercure.subscribe matches its canonical or an alternate topic', async () => {
    const books = unique('https://example.com/books');
    const user = unique('https://example.com/users');
    const canonical = `${books}/1`;
    const alternate = `${user}/?topic=${encodeURIComponent(canonical)}`;
    const selector = `${books}/{id}`;
    const viaAlternate = await listen(anonymous, [selector], {
      token: await anonymous.subscriberToken([`${user}/{?topic}`]),
    });
    const viaCanonical = await listen(anonymous, [selector], {
      token: await anonymous.subscriberToken([canonical]),
    });
    const otherUser = await listen(anonymous, [selector], {
      token: await anonymous.subscriberToken([`${unique('https://example.com/users')}/{?topic}`]),
    });
    const noSubscribeClaim = await listen(anonymous, [selector], {
      token: await signToken({ key: TEST_KEY, publish: ['*'] }),
    });
    const { body: id } = await anonymous.publish({
      topic: [canonical, alternate],
      private: 'on',
      data: 'book 1 for this user',
    });
    expect((await viaAlternate.waitForEvents(1))[0]?.lastEventId).toBe(id);
    expect((await viaCanonical.waitForEvents(1))[0]?.lastEventId).toBe(id);
    await expectOnlySentinel(anonymous, `${books}/2`, [otherUser, noSubscribeClaim]);
  });

  it("MUST close the subscriber's connection at the time of its JWS's exp claim", async () => {
    const topic = unique();
    const token = await secured.subscriberToken([topic], { expiresIn: 2 });
    const exp = expOf(token) * 1000;
    const client = await connectRaw(secured, hubPath([topic]), {
      Authorization: `Bearer ${token}`,
    });
    expect(client.status).toBe(200);
    await secured.publish({ topic, data: 'before exp' });
    await client.waitForEvents(1);
    expect(client.ended).toBe(false);
    await client.waitForEnd(exp - Date.now() + 3000);
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(exp);
    // The expiry wheel ticks once a second.
    expect(endedAt).toBeLessThan(exp + 1500);
  });
});

describe('Reconciliation', () => {
  let hub: TestHub;
  const topic = unique();
  let ids: string[];
  beforeAll(async () => {
    hub = await startHub(['--anonymous']);
    ids = [];
    for (const data of ['one', 'two', 'three']) {
      ids.push((await hub.publish({ topic, data })).body);
    }
  });
  afterAll(() => hub?.close());

  it('MUST include an id property in every event dispatched', async () => {
    const raw = await connectRaw(hub, hubPath(['*'], { lastEventID: 'earliest' }));
    await hub.publish({ topic: unique(), data: 'live, hub id' });
    await hub.publish({ topic: unique(), id: 'urn:example:given', data: 'live, given id' });
    const events = await raw.waitForEvents(5);
    expect(events.slice(0, 3).map((e) => e.id)).toEqual(ids);
    for (const event of events) expect(event.id).toMatch(/^\S+$/);
  });

  it('MUST accept the last event ID in a lastEventID query parameter', async () => {
    const client = await listen(hub, [topic], { query: { lastEventID: ids[0]! } });
    const events = await client.waitForEvents(2);
    expect(events.map((e) => e.data)).toEqual(['two', 'three']);
  });

  it('MUST give the Last-Event-ID header precedence over the lastEventID query parameter', async () => {
    const raw = await connectRaw(hub, hubPath([topic], { lastEventID: ids[0]! }), {
      'Last-Event-ID': ids[1]!,
    });
    expect(raw.headers['last-event-id']).toBe(ids[1]);
    const events = await raw.waitForEvents(1);
    expect(events.map((e) => e.data)).toEqual(['three']);
    const es = await listen(hub, [topic], {
      lastEventId: ids[1]!,
      query: { lastEventID: ids[0]! },
    });
    expect((await es.waitForEvents(1)).map((e) => e.data)).toEqual(['three']);
  });

  it('MUST answer a known requested id with a Last-Event-ID response header of that id', async () => {
    for (const [path, headers] of [
      [hubPath([topic], { lastEventID: ids[1]! }), {}],
      [hubPath([topic]), { 'Last-Event-ID': ids[1]! }],
    ] as const) {
      const raw = await connectRaw(hub, path, headers);
      expect(raw.headers['last-event-id']).toBe(ids[1]);
      expect((await raw.waitForEvents(1)).map((e) => e.id)).toEqual([ids[2]]);
    }
  });

  it('MUST answer a known IRI id with Unicode characters with a Last-Event-ID header of that id', async () => {
    // Ids SHOULD be IRIs, which may hold any Unicode; headers carry them as UTF-8 bytes.
    const iri = `https://example.com/révisions/${randomUUID()}/😀`;
    const unicode = unique();
    expect((await hub.publish({ topic: unicode, id: iri, data: 'before' })).body).toBe(iri);
    await hub.publish({ topic: unicode, data: 'after' });
    const es = await listen(hub, [unicode], { lastEventId: iri });
    expect((await es.waitForEvents(1)).map((e) => e.data)).toEqual(['after']);
    const raw = await connectRaw(hub, hubPath([unicode], { lastEventID: iri }));
    expect(raw.status).toBe(200);
    expect(Buffer.from(raw.headers['last-event-id'] ?? '', 'latin1').toString('utf8')).toBe(iri);
    // The head goes out as Latin-1 bytes, then the body: both intact.
    expect((await raw.waitForEvents(1)).map((e) => e.data)).toEqual(['after']);
  });

  it('MUST answer Last-Event-ID: earliest when the hub history is empty', async () => {
    const empty = await startHub(['--anonymous']);
    try {
      for (const requested of ['urn:example:never-published', 'earliest']) {
        const raw = await connectRaw(empty, hubPath(['*'], { lastEventID: requested }));
        expect(raw.status).toBe(200);
        expect(raw.headers['last-event-id']).toBe('earliest');
        raw.destroy();
      }
    } finally {
      await empty.close();
    }
  });

  it('MUST answer Last-Event-ID: earliest when the subscriber requests earliest', async () => {
    const raw = await connectRaw(hub, hubPath([topic]), { 'Last-Event-ID': 'earliest' });
    expect(raw.headers['last-event-id']).toBe('earliest');
    expect((await raw.waitForEvents(3)).map((e) => e.id)).toEqual(ids);
  });

  it('MUST answer Last-Event-ID: earliest when the requested event does not exist', async () => {
    const raw = await connectRaw(hub, hubPath([topic], { lastEventID: 'urn:example:unknown' }));
    expect(raw.status).toBe(200);
    expect(raw.headers['last-event-id']).toBe('earliest');
  });
});

describe('Active Subscriptions', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub(['--anonymous', '--subscriptions']);
  });
  afterAll(() => hub?.close());

  interface SubscriptionDoc {
    '@context': string;
    id: string;
    type: string;
    topic: string;
    subscriber: string;
    active: boolean;
    payload?: unknown;
  }

  /** A watcher of subscription events, entitled to them. */
  async function watch(selector = SUBSCRIPTIONS_TEMPLATE): Promise<EventSourceClient> {
    return listen(hub, [selector], { token: await hub.subscriberToken([SUBSCRIPTIONS_TEMPLATE]) });
  }

  /** Waits for the watcher's event about `topic` with `active`, parsed. */
  async function eventAbout(
    watcher: EventSourceClient,
    topic: string,
    active: boolean,
  ): Promise<SubscriptionDoc> {
    let found: SubscriptionDoc | undefined;
    await waitFor(() => {
      found = watcher.events
        .map((e) => JSON.parse(e.data) as SubscriptionDoc)
        .find((d) => d.topic === topic && d.active === active);
      return found !== undefined;
    }, `subscription event for ${topic} (active: ${active})`);
    return found!;
  }

  /** A document of the subscriptions API: a collection, or one subscription. */
  interface ApiDocument extends Partial<SubscriptionDoc> {
    lastEventID: string;
    subscriptions: SubscriptionDoc[];
  }

  async function apiJson(base: string, path: string, token: string): Promise<ApiDocument> {
    const response = await fetch(`${base}${path}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status, path).toBe(200);
    return (await response.json()) as ApiDocument;
  }

  async function api(path: string, token?: string): Promise<Response> {
    return fetch(`${hub.base}${path}`, {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
    });
  }

  it('MUST publish an update when a subscription is created or terminated', async () => {
    const watcher = await watch();
    const topic = unique();
    const subscriber = await listen(hub, [topic, 'https://example.com/{other}']);
    const created = await eventAbout(watcher, topic, true);
    await eventAbout(watcher, 'https://example.com/{other}', true);
    subscriber.close();
    const terminated = await eventAbout(watcher, topic, false);
    await eventAbout(watcher, 'https://example.com/{other}', false);
    expect(terminated).toEqual({ ...created, active: false });
  });

  it('MUST use as topic the expansion of /.well-known/mercure/subscriptions/{topic}/{subscriber}, reserved characters percent-encoded', async () => {
    // `{topic}` and `{subscriber}` are simple expansions: no raw "/" fits them.
    const watcher = await watch(`${SUBSCRIPTIONS}/{topic}/{subscriber}`);
    const topic = `https://example.com/{selector}?q=${randomUUID()}`;
    const subscriber = await listen(hub, [topic]);
    const created = await eventAbout(watcher, topic, true);
    const encodedTopic = `https%3A%2F%2Fexample.com%2F%7Bselector%7D%3Fq%3D${topic.slice(-36)}`;
    expect(created.subscriber).toMatch(/^urn:uuid:/);
    expect(created.id).toBe(
      `${SUBSCRIPTIONS}/${encodedTopic}/${created.subscriber.replaceAll(':', '%3A')}`,
    );
    // The update's topic is exactly the document's id: a watcher of that one string gets it.
    const exact = await listen(hub, [created.id], {
      token: await hub.subscriberToken([created.id]),
    });
    subscriber.close();
    const terminated = await eventAbout(exact, topic, false);
    expect(terminated.id).toBe(created.id);
  });

  it('MUST make the update a JSON-LD document with @context, id, type, topic, subscriber, active and payload', async () => {
    const watcher = await watch();
    const topic = unique();
    const payload = { user: 'https://example.com/users/dunglas', groups: ['admin'] };
    await listen(hub, [topic], { token: await hub.subscriberToken([], { payload }) });
    const doc = await eventAbout(watcher, topic, true);
    expect(doc).toEqual({
      '@context': 'https://mercure.rocks/',
      id: expect.stringMatching(/^\/\.well-known\/mercure\/subscriptions\//),
      type: 'Subscription',
      topic,
      subscriber: expect.any(String),
      active: true,
      payload,
    });
  });

  it('MUST mark subscription updates private, so unauthorized subscribers never receive them', async () => {
    const watcher = await watch();
    const anonymousAll = await listen(hub, ['*']);
    const anonymousTemplate = await listen(hub, [SUBSCRIPTIONS_TEMPLATE, 'sentinel']);
    const wrongClaim = await listen(hub, ['*'], {
      token: await hub.subscriberToken(['https://example.com/{anything}']),
    });
    const topic = unique();
    const subscriber = await listen(hub, [topic]);
    await eventAbout(watcher, topic, true);
    subscriber.close();
    await eventAbout(watcher, topic, false);
    await expectOnlySentinel(hub, 'sentinel', [anonymousAll, anonymousTemplate, wrongClaim]);
  });

  it('MUST expose the subscriptions web API at /subscriptions, /subscriptions/{topic} and /subscriptions/{topic}/{subscriber}', async () => {
    const token = await hub.subscriberToken([SUBSCRIPTIONS_TEMPLATE]);
    const watcher = await watch();
    const topic = unique('https://example.com/{x}');
    await listen(hub, [topic]);
    const doc = await eventAbout(watcher, topic, true);
    // In a collection, the parent node carries the @context.
    const { '@context': _, ...entry } = doc;

    const all = await apiJson(hub.base, SUBSCRIPTIONS, token);
    expect(all).toMatchObject({
      '@context': 'https://mercure.rocks/',
      id: SUBSCRIPTIONS,
      type: 'Subscriptions',
    });
    expect(all.subscriptions).toContainEqual(entry);

    const byTopicPath = `${SUBSCRIPTIONS}/${encodeURIComponent(topic)}`;
    const byTopic = await apiJson(hub.base, byTopicPath, token);
    expect(byTopic).toMatchObject({
      id: byTopicPath,
      type: 'Subscriptions',
      subscriptions: [entry],
    });

    const one = await apiJson(hub.base, doc.id, token);
    expect(one).toEqual({
      ...doc,
      lastEventID: expect.any(String),
    });
  });

  it('MUST set Content-Type: application/ld+json on the web API', async () => {
    const token = await hub.subscriberToken(['*']);
    for (const path of [SUBSCRIPTIONS, `${SUBSCRIPTIONS}/${encodeURIComponent(unique())}`]) {
      const response = await api(path, token);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/ld\+json(;|$)/);
    }
  });

  it('MUST set lastEventID in every web API document, "earliest" when nothing was dispatched yet', async () => {
    const fresh = await startHub(['--subscriptions']);
    try {
      const token = await fresh.subscriberToken(['*']);
      const get = (path: string) => apiJson(fresh.base, path, token);
      expect((await get(SUBSCRIPTIONS)).lastEventID).toBe('earliest');
      // An IRI id, Unicode included: it travels in the JSON body (and must not break headers).
      const id = `https://example.com/révisions/${randomUUID()}/😀`;
      expect((await fresh.publish({ topic: unique(), id, data: 'x' })).body).toBe(id);
      await waitFor(
        async () => (await get(SUBSCRIPTIONS)).lastEventID === id,
        'lastEventID = last id',
      );
      expect(
        (await get(`${SUBSCRIPTIONS}/${encodeURIComponent('https://example.com/x')}`)).lastEventID,
      ).toBe(id);
      const raw = await connectRaw(fresh, hubPath(['https://example.com/x']), {
        Authorization: `Bearer ${token}`,
      });
      let doc: SubscriptionDoc | undefined;
      await waitFor(async () => {
        doc = (await get(SUBSCRIPTIONS)).subscriptions[0];
        return doc !== undefined;
      }, 'the subscription listed');
      const single = await get(doc!.id);
      expect(single.lastEventID).toMatch(/^urn:uuid:/);
      expect(single.lastEventID).not.toBe(id);
      raw.destroy();
    } finally {
      await fresh.close();
    }
  });

  it('MUST answer 404 when the requested subscription does not exist', async () => {
    const token = await hub.subscriberToken([SUBSCRIPTIONS_TEMPLATE]);
    const path = `${SUBSCRIPTIONS}/${encodeURIComponent(unique())}/${encodeURIComponent(`urn:uuid:${randomUUID()}`)}`;
    const response = await api(path, token);
    await response.arrayBuffer();
    expect(response.status).toBe(404);
  });

  it('MUST require authorization for the web API, the requested URL matching mercure.subscribe', async () => {
    const topicPath = `${SUBSCRIPTIONS}/${encodeURIComponent('https://example.com/a')}`;
    const cases: [string, string | undefined, number][] = [
      [SUBSCRIPTIONS, undefined, 401],
      [SUBSCRIPTIONS, 'garbage', 401],
      [SUBSCRIPTIONS, await hub.subscriberToken(['https://example.com/{x}']), 403],
      [SUBSCRIPTIONS, await signToken({ key: TEST_KEY, publish: ['*'] }), 403],
      [topicPath, await hub.subscriberToken([SUBSCRIPTIONS]), 403],
      [SUBSCRIPTIONS, await hub.subscriberToken([SUBSCRIPTIONS]), 200],
      [topicPath, await hub.subscriberToken([topicPath]), 200],
      [topicPath, await hub.subscriberToken([SUBSCRIPTIONS_TEMPLATE]), 200],
      [topicPath, await hub.subscriberToken(['*']), 200],
    ];
    for (const [path, token, status] of cases) {
      const response = await api(path, token);
      await response.arrayBuffer();
      expect(response.status, `${path} with ${token?.slice(-8)}`).toBe(status);
    }
  });
});

describe('Security Considerations', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub(['--anonymous', '--publish-origins', 'https://app.example.com']);
  });
  afterAll(() => hub?.close());

  it('MUST mitigate CSRF: a cookie authorizes publishing only from an allowed Origin or Referer', async () => {
    const topic = unique();
    const client = await listen(hub, [topic]);
    const cookie = `mercureAuthorization=${await hub.publisherToken()}`;
    const post = async (headers: Record<string, string>, data: string) => {
      const response = await fetch(hub.hubUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Cookie: cookie,
          ...headers,
        },
        body: new URLSearchParams({ topic, data }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await post({}, 'no origin')).toBe(403);
    expect(await post({ Origin: 'https://evil.example.com' }, 'evil origin')).toBe(403);
    expect(await post({ Referer: 'https://evil.example.com/page' }, 'evil referer')).toBe(403);
    expect(await post({ Origin: 'null' }, 'opaque origin')).toBe(403);
    await expectOnlySentinel(hub, topic, [client]);

    expect(await post({ Origin: 'https://app.example.com' }, 'allowed origin')).toBe(200);
    expect(await post({ Referer: 'https://app.example.com/admin' }, 'allowed referer')).toBe(200);
    const events = await client.waitForEvents(3);
    expect(events.slice(1).map((e) => e.data)).toEqual(['allowed origin', 'allowed referer']);
  });
});
