/**
 * The `?retained=1` extension: a new subscriber first gets the latest update
 * of every topic it matches (the retained state, in position order), then
 * live updates, with no gap and no duplicate at the seam. On reconnection a
 * known Last-Event-ID replays as usual (every update, not the state); an
 * unknown one (never seen, or pruned) gets a reset notice, then the state.
 * Without the parameter, Mercure behaviour is unchanged.
 *
 * Private updates: the state of a topic is its latest update. When that one
 * is private and the token does not cover it, the topic is left out of the
 * snapshot; an older public update is not sent in its place, since it is no
 * longer the state.
 *
 * Every case runs against the memory store and the SQLite store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { RawSseClient, type SseBlock } from '../helpers/raw-sse-client.js';
import { waitFor } from '../helpers/wait.js';

const HUB_PATH = '/.well-known/mercure';
const TOPICS = 20;
const SELECTOR = 'https://ex/w/{id}';
const topic = (i: number) => `https://ex/w/${i}`;

interface StoreCase {
  readonly name: string;
  /** `andon serve` flags for a fresh store of this kind. */
  args(): Promise<string[]>;
  /** Prunes history down to `keep` events, as the store's retention would. */
  prune(keep: number): Promise<void>;
}

const dirs: string[] = [];
const hubs: TestHub[] = [];
const clients: RawSseClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const memory: StoreCase = {
  name: 'memory',
  args: async () => ['--store', 'memory'],
  // The memory store evicts on append: `--retention-events` has already pruned.
  prune: async () => {},
};

function sqlite(): StoreCase {
  let path = '';
  return {
    name: 'sqlite',
    async args() {
      const dir = await mkdtemp(join(tmpdir(), 'andon-retained-'));
      dirs.push(dir);
      path = join(dir, 'hub.db');
      return ['--store', `sqlite:${path}`];
    },
    // Another process sharing the file prunes (the hub's own timer runs every few seconds).
    async prune(keep) {
      const other = createSqliteStore({ path, retention: { maxEvents: keep } });
      await other.prune();
      await other.close();
    },
  };
}

/** One publish the test made, in acknowledgement order (= position order when sequential). */
interface Published {
  readonly id: string;
  readonly topic: string;
}

class Fixture {
  readonly hub: TestHub;
  readonly #token: string;
  /** Every update acknowledged, in order. */
  readonly published: Published[] = [];

  private constructor(hub: TestHub, token: string) {
    this.hub = hub;
    this.#token = token;
  }

  static async start(store: StoreCase, ...more: string[]): Promise<Fixture> {
    const hub = await startHub([...(await store.args()), '--anonymous', ...more]);
    hubs.push(hub);
    return new Fixture(hub, await hub.publisherToken());
  }

  async publish(id: string, to: string, options: { private?: boolean } = {}): Promise<void> {
    const fields: Record<string, string> = { topic: to, id, data: `data of ${id}` };
    if (options.private === true) fields.private = 'on';
    const answer = await this.hub.publish(fields, this.#token);
    expect(answer, `publishing ${id}`).toMatchObject({ status: 200, body: id });
    this.published.push({ id, topic: to });
  }

  /** `rounds` updates of each of the 20 topics, in a shuffled order, plus updates of a topic nobody selects. */
  async publishRounds(rounds: number): Promise<void> {
    const due: number[] = [];
    for (let i = 0; i < TOPICS; i++) for (let r = 0; r < rounds; r++) due.push(i);
    shuffle(due);
    const versions = new Map<number, number>();
    for (const [n, i] of due.entries()) {
      const v = (versions.get(i) ?? 0) + 1;
      versions.set(i, v);
      await this.publish(`w${i}-v${v}`, topic(i));
      if (n % 10 === 0) await this.publish(`other-${n}`, 'https://ex/other/1');
    }
  }

  /** The latest acknowledged update of each selected topic, in position order. */
  latest(selected: (published: Published) => boolean = isSelected): string[] {
    const last = new Map<string, number>();
    for (const [n, update] of this.published.entries()) {
      if (selected(update)) last.set(update.topic, n);
    }
    return [...last.values()].sort((a, b) => a - b).map((n) => this.published[n]!.id);
  }

  async subscribe(
    query: string,
    headers: Record<string, string> = {},
    selector = SELECTOR,
  ): Promise<RawSseClient> {
    const client = await RawSseClient.connect(Number(new URL(this.hub.base).port), {
      path: `${HUB_PATH}?topic=${encodeURIComponent(selector)}${query}`,
      headers,
    });
    clients.push(client);
    expect(client.status).toBe(200);
    return client;
  }
}

function isSelected(update: Published): boolean {
  return update.topic.startsWith('https://ex/w/');
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function events(client: RawSseClient): SseBlock[] {
  return client.blocks.filter((block) => block.data !== undefined);
}

function ids(client: RawSseClient): (string | undefined)[] {
  return events(client).map((block) => block.id);
}

/**
 * Publishes a marker and waits until every client has it: everything sent
 * before it has arrived, so lists can be compared whole, with nothing to come.
 */
async function settle(
  fixture: Fixture,
  clients: RawSseClient | readonly RawSseClient[],
  marker = 'end',
): Promise<void> {
  await fixture.publish(marker, topic(0));
  for (const client of Array.isArray(clients) ? clients : [clients]) {
    await waitFor(
      () => events(client).some((block) => block.id === marker),
      `the marker ${marker}`,
      undefined,
      () => `got ${JSON.stringify(ids(client).slice(-5))}`,
    );
  }
}

/**
 * The position `c` such that `received` is the latest update of each topic
 * among the first `c` of `history`, in position order, then every later one:
 * what a retained subscription must deliver. Undefined when there is none
 * (a gap, a duplicate, or a stale update).
 */
function seamOf(received: readonly string[], history: readonly Published[]): number | undefined {
  const latest = new Map<string, number>();
  for (let c = 0; c <= history.length; c++) {
    if (c > 0) latest.set(history[c - 1]!.topic, c - 1);
    if (received.length !== latest.size + history.length - c) continue;
    const snapshot = [...latest.values()].sort((a, b) => a - b).map((n) => history[n]!.id);
    const expected = [...snapshot, ...history.slice(c).map((update) => update.id)];
    if (expected.every((id, n) => received[n] === id)) return c;
  }
  return undefined;
}

describe.each([memory, sqlite()])('?retained=1 ($name store)', (store) => {
  it('sends the latest update of each matching topic, in position order, then live updates', async () => {
    const fixture = await Fixture.start(store);
    await fixture.publishRounds(3);
    const snapshot = fixture.latest();
    expect(snapshot).toHaveLength(TOPICS);

    const client = await fixture.subscribe('&retained=1');
    await client.waitForEvents(TOPICS);
    expect(ids(client)).toEqual(snapshot);

    await fixture.publish('w5-live', topic(5));
    await fixture.publish('other-live', 'https://ex/other/1');
    await fixture.publish('w0-live', topic(0));
    await settle(fixture, client);
    expect(ids(client)).toEqual([...snapshot, 'w5-live', 'w0-live', 'end']);
    expect(client.blocks.some((block) => block.event === 'reset')).toBe(false);
  });

  it('has no gap and no duplicate when updates are published during the subscription', async () => {
    const fixture = await Fixture.start(store);
    const publishers = 3;
    const perPublisher = 80;
    const loops = Array.from({ length: publishers }, async (_, p) => {
      for (let n = 0; n < perPublisher; n++) {
        const i = Math.floor(Math.random() * TOPICS);
        await fixture.publish(`w${i}.p${p}.${n}`, topic(i));
      }
    });
    await waitFor(() => fixture.published.length >= 60, '60 updates before subscribing');
    const before = fixture.published.length;
    const client = await fixture.subscribe('&retained=1');
    await Promise.all(loops);
    await settle(fixture, client);

    // Position order, from history: every update replayed from the earliest one kept.
    const history = await fixture.subscribe('', { 'Last-Event-ID': 'earliest' });
    await history.waitForEvents(fixture.published.length);
    const order = ids(history) as string[];
    expect([...order].sort()).toEqual(fixture.published.map((update) => update.id).sort());
    const byId = new Map(fixture.published.map((update) => [update.id, update]));
    const positions = order.map((id) => byId.get(id)!);

    const received = ids(client) as string[];
    expect(new Set(received).size).toBe(received.length);
    const seam = seamOf(received, positions);
    expect(
      seam,
      `no cut of the ${positions.length} updates gives the ${received.length} received`,
    ).toBeDefined();
    // The snapshot covers at least what was acknowledged before the request.
    expect(seam!).toBeGreaterThanOrEqual(before);
  });

  it('puts a private update in the snapshot only for a token that covers its topic', async () => {
    const fixture = await Fixture.start(store);
    await fixture.publish('w0-public', topic(0));
    await fixture.publish('w1-public', topic(1));
    await fixture.publish('w1-private', topic(1), { private: true });
    await fixture.publish('w2-private', topic(2), { private: true });
    await fixture.publish('w2-public', topic(2));
    await fixture.publish('w3-private', topic(3), { private: true });

    const bearer = async (selectors: string[]) => ({
      Authorization: `Bearer ${await fixture.hub.subscriberToken(selectors)}`,
    });
    const anonymous = await fixture.subscribe('&retained=1');
    const one = await fixture.subscribe('&retained=1', await bearer([topic(1)]));
    const all = await fixture.subscribe('&retained=1', await bearer([SELECTOR]));
    await settle(fixture, [anonymous, one, all]);

    // w1 and w3 end private: the anonymous subscriber has no state for them, not even w1-public.
    expect(ids(anonymous)).toEqual(['w0-public', 'w2-public', 'end']);
    expect(ids(one)).toEqual(['w0-public', 'w1-private', 'w2-public', 'end']);
    expect(ids(all)).toEqual(['w0-public', 'w1-private', 'w2-public', 'w3-private', 'end']);
  });

  it('changes nothing without the parameter (or with retained=0 or false): live updates only', async () => {
    const fixture = await Fixture.start(store);
    await fixture.publishRounds(2);
    const plain = await fixture.subscribe('');
    const zero = await fixture.subscribe('&retained=0');
    const no = await fixture.subscribe('&retained=false');
    await fixture.publish('w7-live', topic(7));
    await settle(fixture, [plain, zero, no]);
    for (const client of [plain, zero, no]) expect(ids(client)).toEqual(['w7-live', 'end']);
  });

  it('replays after a known Last-Event-ID instead of sending the snapshot', async () => {
    const fixture = await Fixture.start(store);
    await fixture.publishRounds(3);
    const from = fixture.published.findIndex((update, n) => n >= 30 && isSelected(update));
    const expected = fixture.published
      .slice(from + 1)
      .filter(isSelected)
      .map((update) => update.id);

    const client = await fixture.subscribe('&retained=1', {
      'Last-Event-ID': fixture.published[from]!.id,
    });
    await settle(fixture, client);
    expect(ids(client)).toEqual([...expected, 'end']);
    expect(client.blocks.some((block) => block.event === 'reset')).toBe(false);
  });

  it('sends a reset, then the snapshot, for an unknown Last-Event-ID', async () => {
    const fixture = await Fixture.start(store);
    await fixture.publishRounds(2);
    const snapshot = fixture.latest();
    const client = await fixture.subscribe('&retained=1', { 'Last-Event-ID': 'never-published' });
    await settle(fixture, client);

    const [reset, ...rest] = events(client);
    expect(reset).toMatchObject({ event: 'reset', id: fixture.published.at(-2)!.id });
    expect(JSON.parse(reset!.data!)).toEqual({
      reason: 'unknown-last-event-id',
      lastEventId: 'never-published',
    });
    expect(rest.map((block) => block.id)).toEqual([...snapshot, 'end']);
  });

  it('sends a reset, then the snapshot, for a Last-Event-ID that was pruned', async () => {
    const fixture = await Fixture.start(store, '--retention-events', '10');
    await fixture.publishRounds(3);
    await store.prune(10);
    const snapshot = fixture.latest();
    const pruned = fixture.published[0]!.id;

    const client = await fixture.subscribe('&retained=1', { 'Last-Event-ID': pruned });
    await settle(fixture, client);
    const [reset, ...rest] = events(client);
    expect(reset?.event).toBe('reset');
    expect(JSON.parse(reset!.data!)).toMatchObject({ lastEventId: pruned });
    // The state outlives the history: all 20 topics, though only 10 events are kept.
    expect(rest.map((block) => block.id)).toEqual([...snapshot, 'end']);
  });
});
