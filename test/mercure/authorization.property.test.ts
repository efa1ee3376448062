/**
 * Authorization and routing of updates, as a property over a real hub: for
 * random topics (a small alphabet, so that selectors, claims and updates
 * collide often), random subscribers (selectors, and no token, a token
 * without claim, or a token with a `mercure.subscribe` list) and random
 * updates (one to three topics, private or not), every subscriber receives
 * exactly the updates an independent model of draft-07 says it may, each
 * once, in publish order. A private update reaching a subscriber whose
 * claim does not cover one of its topics is the failure this hunts.
 *
 * The model below does not use the hub's matcher: it knows only the
 * template forms used here (one `{name}` or `{+name}` expression between
 * literal text), which it matches with a plain regular expression.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/mercure/auth.js';
import { startHub, TEST_KEY, type TestHub } from '../helpers/hub.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';

/** Topics updates are published to: near misses of one another on purpose. */
const TOPICS = [
  'a',
  'b',
  'https://ex.com/a/1',
  'https://ex.com/a/2',
  'https://ex.com/a/',
  'https://ex.com/a/1/x',
  'https://ex.com/b/1',
  // A topic that is itself a template: selectors equal to it match it by rule 2 only.
  'https://ex.com/a/{id}',
  // A percent-encoded triplet, which a simple expansion may produce.
  'https://ex.com/a/%41',
  // A space, which no expansion produces.
  'https://ex.com/a/x y',
] as const;

/** Selectors for subscriptions and claims: every topic, `*`, and templates. */
const SELECTORS = [
  ...TOPICS,
  '*',
  '{t}',
  'https://ex.com/{x}/1',
  'https://ex.com/a/{id}/x',
  'https://ex.com/{+path}',
  'https://ex.com/{+path}/1',
] as const;

/** Public topic of the last update of each run; no selector of {@link SELECTORS} matches it but `*`. */
const END_TOPIC = 'urn:andon:test:end';

/** What a simple expansion (`{x}`) may produce: unreserved characters and triplets (no commas here: no topic has one). */
const SIMPLE_VALUE = /^(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})*$/;
/** What a reserved expansion (`{+x}`) may produce: unreserved and reserved characters and triplets. */
const RESERVED_VALUE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
/** The one template form used here: literal, one expression, literal. */
const ONE_EXPRESSION = /^([^{}]*)\{(\+?)[A-Za-z0-9_]+\}([^{}]*)$/;

/** The model of draft-07 selector matching, for the selectors above. */
function selects(selector: string, topic: string): boolean {
  if (selector === '*' || selector === topic) return true;
  const form = ONE_EXPRESSION.exec(selector);
  if (form === null) return false;
  const [, prefix = '', operator, suffix = ''] = form;
  if (topic.length < prefix.length + suffix.length) return false;
  if (!topic.startsWith(prefix) || !topic.endsWith(suffix)) return false;
  const value = topic.slice(prefix.length, topic.length - suffix.length);
  return (operator === '+' ? RESERVED_VALUE : SIMPLE_VALUE).test(value);
}

function selectsAny(selectors: readonly string[], topics: readonly string[]): boolean {
  return selectors.some((selector) => topics.some((topic) => selects(selector, topic)));
}

type Auth =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'no-claim' }
  | { readonly kind: 'claim'; readonly subscribe: readonly string[] };

interface SubscriberSpec {
  readonly selectors: readonly string[];
  readonly auth: Auth;
}

interface UpdateSpec {
  readonly topics: readonly string[];
  readonly private: boolean;
}

/** The updates (by index) `subscriber` must receive, in order. */
function expectedFor(subscriber: SubscriberSpec, updates: readonly UpdateSpec[]): number[] {
  const entitled = subscriber.auth.kind === 'claim' ? subscriber.auth.subscribe : [];
  const out: number[] = [];
  updates.forEach((update, index) => {
    if (!selectsAny(subscriber.selectors, update.topics)) return;
    if (update.private && !selectsAny(entitled, update.topics)) return;
    out.push(index);
  });
  return out;
}

const selector = fc.constantFrom(...SELECTORS);
const auth: fc.Arbitrary<Auth> = fc.oneof(
  fc.constant({ kind: 'anonymous' as const }),
  fc.constant({ kind: 'no-claim' as const }),
  fc.record({
    kind: fc.constant('claim' as const),
    subscribe: fc.uniqueArray(selector, { maxLength: 3 }),
  }),
);
const subscriberSpec: fc.Arbitrary<SubscriberSpec> = fc.record({
  selectors: fc.uniqueArray(selector, { minLength: 1, maxLength: 3 }),
  auth,
});
const updateSpec: fc.Arbitrary<UpdateSpec> = fc.record({
  topics: fc.array(fc.constantFrom(...TOPICS), { minLength: 1, maxLength: 3 }),
  private: fc.boolean(),
});

/** Runs of the property; each opens a few connections and publishes a few updates. */
const RUNS = 40;

describe('private updates and topic selectors (property, real hub)', () => {
  let hub: TestHub;
  let port: number;

  beforeAll(async () => {
    hub = await startHub(['--anonymous']);
    port = Number(new URL(hub.base).port);
  });
  afterAll(() => hub.close());

  async function connect(spec: SubscriberSpec): Promise<RawSseClient> {
    // Every subscriber also selects the end topic, so the end of a run is an event to wait for.
    const query = [...spec.selectors, END_TOPIC]
      .map((s) => `topic=${encodeURIComponent(s)}`)
      .join('&');
    const headers: Record<string, string> = {};
    if (spec.auth.kind !== 'anonymous') {
      const token = await signToken(
        spec.auth.kind === 'claim'
          ? { key: TEST_KEY, subscribe: spec.auth.subscribe }
          : { key: TEST_KEY },
      );
      headers.Authorization = `Bearer ${token}`;
    }
    const client = await RawSseClient.connect(port, {
      path: `/.well-known/mercure?${query}`,
      headers,
    });
    expect(client.status, `subscribe ${JSON.stringify(spec)}`).toBe(200);
    return client;
  }

  it('delivers each update exactly to the entitled, matching subscribers, once, in order', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(subscriberSpec, { minLength: 1, maxLength: 5 }),
        fc.array(updateSpec, { minLength: 1, maxLength: 10 }),
        async (subscribers, updates) => {
          run += 1;
          const clients = await Promise.all(subscribers.map(connect));
          try {
            const ids: string[] = [];
            for (const [index, update] of updates.entries()) {
              const fields: Record<string, string | string[]> = {
                topic: [...update.topics],
                data: `run ${run} update ${index}`,
              };
              if (update.private) fields.private = 'on';
              const answer = await hub.publish(fields);
              expect(answer.status, answer.body).toBe(200);
              ids.push(answer.body);
            }
            const end = `run ${run} end`;
            expect((await hub.publish({ topic: END_TOPIC, data: end })).status).toBe(200);
            await Promise.all(clients.map((c) => c.waitForBlocks(1, (b) => b.data === end)));

            subscribers.forEach((spec, i) => {
              const received = clients[i]!.events().filter((b) => b.data !== end);
              const expected = expectedFor(spec, updates);
              expect(
                received.map((b) => b.data),
                `subscriber ${JSON.stringify(spec)}`,
              ).toEqual(expected.map((index) => `run ${run} update ${index}`));
              expect(received.map((b) => b.id)).toEqual(expected.map((index) => ids[index]));
            });
          } finally {
            for (const client of clients) client.destroy();
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the model agrees with hand-checked cases', () => {
    expect(selects('https://ex.com/a/{id}', 'https://ex.com/a/1')).toBe(true);
    expect(selects('https://ex.com/a/{id}', 'https://ex.com/a/')).toBe(true);
    expect(selects('https://ex.com/a/{id}', 'https://ex.com/a/%41')).toBe(true);
    expect(selects('https://ex.com/a/{id}', 'https://ex.com/a/1/x')).toBe(false);
    expect(selects('https://ex.com/a/{id}', 'https://ex.com/a/x y')).toBe(false);
    expect(selects('https://ex.com/a/{id}', 'https://ex.com/a/{id}')).toBe(true);
    expect(selects('https://ex.com/{+path}', 'https://ex.com/a/1/x')).toBe(true);
    expect(selects('https://ex.com/{+path}', 'https://ex.com/a/{id}')).toBe(false);
    expect(selects('https://ex.com/{+path}/1', 'https://ex.com/a/1/x')).toBe(false);
    expect(selects('{t}', 'a')).toBe(true);
    expect(selects('{t}', 'https://ex.com/a/1')).toBe(false);
    expect(selects('https://ex.com/a/1', 'https://ex.com/a/2')).toBe(false);
    expect(
      expectedFor({ selectors: ['*'], auth: { kind: 'anonymous' } }, [
        { topics: ['a'], private: true },
        { topics: ['a'], private: false },
      ]),
    ).toEqual([1]);
    expect(
      expectedFor({ selectors: ['a'], auth: { kind: 'claim', subscribe: ['{t}'] } }, [
        { topics: ['https://ex.com/a/1', 'b'], private: true },
        { topics: ['https://ex.com/a/1', 'a'], private: true },
      ]),
    ).toEqual([1]);
  });
});
