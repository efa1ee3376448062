/**
 * The cases of the public Mercure conformance suite, as our own tests: an
 * anonymous EventSource subscribes to the case's selectors, a publisher
 * allowed everything posts the case's update (id `id-<topics as JSON>`,
 * multi-line data), and the update must arrive, or must not.
 *
 * Arrival is awaited for up to 2 s, as in the suite. Absence is proven
 * rather than waited out: a public sentinel then goes to the first selector
 * itself (every selector matches its own string), and since the hub keeps
 * each connection in publication order, a subscriber that gets the sentinel
 * first never got the update.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/mercure/auth.js';
import { EventSourceClient } from '../helpers/event-source.js';
import { startHub, TEST_KEY, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

/** How long an update that must arrive may take, as in the public suite. */
const RECEIVE_WITHIN_MS = 2000;

interface Case {
  readonly name: string;
  readonly updateTopics: readonly string[];
  readonly topicSelectors: readonly string[];
  readonly mustBeReceived: boolean;
  readonly private?: true;
}

function randomName(): string {
  return randomBytes(20).toString('hex');
}

// Shared across cases as in the suite: the private cases reuse public topics (and so their ids).
const names = Array.from({ length: 5 }, randomName);
const cases: readonly Case[] = [
  {
    name: 'raw string',
    mustBeReceived: true,
    updateTopics: [names[0]!],
    topicSelectors: [names[0]!],
  },
  {
    name: 'multiple topics',
    mustBeReceived: true,
    updateTopics: [randomName(), names[1]!],
    topicSelectors: [names[1]!],
  },
  {
    name: 'multiple topic selectors',
    mustBeReceived: true,
    updateTopics: [names[2]!],
    topicSelectors: ['foo', names[2]!],
  },
  {
    name: 'URI',
    mustBeReceived: true,
    updateTopics: [`https://example.net/foo/${names[3]}`],
    topicSelectors: [`https://example.net/foo/${names[3]}`],
  },
  {
    name: 'URI template',
    mustBeReceived: true,
    updateTopics: [`https://example.net/foo/${names[4]}`],
    topicSelectors: ['https://example.net/foo/{random}'],
  },
  {
    name: 'nonmatching raw string',
    mustBeReceived: false,
    updateTopics: ['will-not-match}'],
    topicSelectors: ['another-name'],
  },
  {
    name: 'nonmatching URI',
    mustBeReceived: false,
    updateTopics: ['https://example.net/foo/will-not-match}'],
    topicSelectors: ['https://example.net/foo/another-name'],
  },
  {
    name: 'nonmatching URI template',
    mustBeReceived: false,
    updateTopics: ['https://example.net/foo/will-not-match}'],
    topicSelectors: ['https://example.net/bar/{var}'],
  },
  {
    name: 'private raw string',
    mustBeReceived: false,
    private: true,
    updateTopics: [names[0]!],
    topicSelectors: [names[0]!],
  },
  {
    name: 'private URI',
    mustBeReceived: false,
    private: true,
    updateTopics: [`https://example.net/foo/${names[3]}`],
    topicSelectors: [`https://example.net/foo/${names[3]}`],
  },
  {
    name: 'private URI template',
    mustBeReceived: false,
    private: true,
    updateTopics: [`https://example.net/foo/${names[4]}`],
    topicSelectors: ['https://example.net/foo/{random}'],
  },
];

describe('Mercure conformance: publish update', () => {
  let hub: TestHub;
  let token: string;
  let client: EventSourceClient | undefined;

  beforeAll(async () => {
    hub = await startHub(['--anonymous']);
    token = await signToken({ key: TEST_KEY, publish: ['*'], subscribe: ['*'] });
  });
  afterEach(() => {
    client?.close();
    client = undefined;
  });
  afterAll(() => hub?.close());

  async function post(fields: URLSearchParams): Promise<Response> {
    return fetch(hub.hubUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: fields,
    });
  }

  for (const data of cases) {
    it(data.name, async () => {
      const url = new URL(hub.hubUrl);
      for (const selector of data.topicSelectors) url.searchParams.append('topic', selector);
      const es = new EventSourceClient(url.href);
      client = es;
      await es.waitForOpen();

      const updateId = `id-${JSON.stringify(data.updateTopics)}`;
      const updateData = `data for\n\n        ${data.name}`;
      const update = new URLSearchParams();
      for (const topic of data.updateTopics) update.append('topic', topic);
      update.set('id', updateId);
      update.set('data', updateData);
      if (data.private) update.set('private', 'on');

      // fetch sends a URLSearchParams body as application/x-www-form-urlencoded.
      const response = await post(update);
      const body = await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain(?:$|;.*)/);
      expect(body).toBe(updateId);

      const isTheUpdate = (e: { type: string; lastEventId: string; data: string }) =>
        e.type === 'message' && e.lastEventId === updateId && e.data === updateData;
      if (data.mustBeReceived) {
        await waitFor(() => es.events.some(isTheUpdate), `"${data.name}"`, RECEIVE_WITHIN_MS);
        return;
      }
      const sentinelId = `sentinel-${randomName()}`;
      const sentinel = new URLSearchParams({ topic: data.topicSelectors[0]!, id: sentinelId });
      const sent = await post(sentinel);
      await sent.arrayBuffer();
      expect(sent.status).toBe(200);
      await waitFor(
        () => es.events.some((e) => e.lastEventId === sentinelId),
        'the sentinel',
        RECEIVE_WITHIN_MS,
      );
      expect(es.events.map((e) => e.lastEventId)).toEqual([sentinelId]);
    });
  }
});
