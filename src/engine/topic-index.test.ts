import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory.js';
import { Engine, type EngineSettings } from './engine.js';
import type { EventDraft, StoredEvent } from './event.js';
import type { Sink } from './sink.js';
import { Subscriber } from './subscriber.js';
import { mergeByPosition, TopicIndex } from './topic-index.js';

const SETTINGS: EngineSettings = {
  heartbeat: 0,
  retry: 1000,
  closeJitter: 0,
  maxQueue: 100,
  maxQueueBytes: 1 << 20,
  conflate: false,
  replayPageSize: 1000,
};

/** Records writes after the `retry` block; `full` makes writes report backpressure. */
class RecordingSink implements Sink {
  readonly writes: Buffer[] = [];
  full = false;
  destroyed = false;
  #drain: (() => void) | undefined;
  write(chunk: Buffer): boolean {
    if (!chunk.toString().startsWith('retry:')) this.writes.push(chunk);
    return !this.full;
  }
  onceDrain(listener: () => void): void {
    this.#drain = listener;
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  drain(): void {
    this.full = false;
    const drain = this.#drain;
    this.#drain = undefined;
    drain?.();
  }
  ids(): string[] {
    const text = Buffer.concat(this.writes).toString('utf8');
    return [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]!);
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const draft = (id: string, topics: string[], extra: Partial<EventDraft> = {}): EventDraft => ({
  id,
  data: id,
  topics,
  ...extra,
});

function setup(settings: Partial<EngineSettings> = {}) {
  const store = createMemoryStore();
  const engine = new Engine(store, { ...SETTINGS, ...settings });
  const attach = (options: Parameters<Engine['attach']>[1] = {}) => {
    const sink = new RecordingSink();
    const subscriber = engine.attach(sink, options);
    return { sink, subscriber };
  };
  return { store, engine, attach };
}

describe('topic index in the engine', () => {
  it('offers an indexed subscriber only the events carrying its topics', async () => {
    const { store, engine, attach } = setup();
    const a = attach({ topics: ['a'] });
    const b = attach({ topics: ['b'] });
    const all = attach();
    let offered = 0;
    // A scanned subscriber sees every event; indexed ones are never asked about others.
    const scanned = attach({
      filter: (e) => {
        offered++;
        return e.topics.includes('a');
      },
    });
    await store.append([draft('1', ['a']), draft('2', ['b']), draft('3', ['c'])]);
    await tick();
    expect(a.sink.ids()).toEqual(['1']);
    expect(b.sink.ids()).toEqual(['2']);
    expect(all.sink.ids()).toEqual(['1', '2', '3']);
    expect(scanned.sink.ids()).toEqual(['1']);
    expect(offered).toBe(3);
    await engine.close();
  });

  it('delivers an event once when several of its topics match, in position order, in one write', async () => {
    const { store, engine, attach } = setup();
    const both = attach({ topics: ['a', 'b', 'a'] });
    await store.append([
      draft('1', ['a', 'b']),
      draft('2', ['b']),
      draft('3', ['c']),
      draft('4', ['b', 'a', 'b']),
      draft('5', ['a']),
    ]);
    await tick();
    expect(both.sink.writes).toHaveLength(1);
    expect(both.sink.ids()).toEqual(['1', '2', '4', '5']);
    await engine.close();
  });

  it('shares one buffer among subscribers getting the same events', async () => {
    const { store, engine, attach } = setup();
    const a1 = attach({ topics: ['a'] });
    const a2 = attach({ topics: ['a'], filter: () => true });
    const ab = attach({ topics: ['a', 'b'] });
    const all = attach();
    const star = attach({ filter: () => true });
    await store.append([draft('1', ['a']), draft('2', ['b']), draft('3', ['a'])]);
    await tick();
    expect(a1.sink.ids()).toEqual(['1', '3']);
    expect(a2.sink.writes[0]).toBe(a1.sink.writes[0]);
    // The whole batch: the same buffer for the index, the library and the scan.
    expect(ab.sink.ids()).toEqual(['1', '2', '3']);
    expect(all.sink.writes[0]).toBe(ab.sink.writes[0]);
    expect(star.sink.writes[0]).toBe(ab.sink.writes[0]);
    await engine.close();
  });

  it('still applies the filter to indexed subscribers (private updates)', async () => {
    const { store, engine, attach } = setup();
    const entitled = attach({ topics: ['a'], filter: () => true });
    const anonymous = attach({ topics: ['a'], filter: (e) => e.private !== true });
    await store.append([
      draft('1', ['a']),
      draft('2', ['a'], { private: true }),
      draft('3', ['a']),
    ]);
    await tick();
    expect(entitled.sink.ids()).toEqual(['1', '2', '3']);
    expect(anonymous.sink.ids()).toEqual(['1', '3']);
    await engine.close();
  });

  it('receives nothing with an empty topic list', async () => {
    const { store, engine, attach } = setup();
    const none = attach({ topics: [] });
    await store.append([draft('1', ['a']), draft('2', [])]);
    await tick();
    expect(none.sink.writes).toHaveLength(0);
    await engine.close();
  });

  it('replays only its topics from a Last-Event-ID, then goes live with no gap or duplicate', async () => {
    const { store, engine, attach } = setup({ replayPageSize: 2 });
    await store.append([
      draft('1', ['a']),
      draft('2', ['b']),
      draft('3', ['a']),
      draft('4', ['a', 'b']),
      draft('5', ['c']),
      draft('6', ['a']),
    ]);
    const late = attach({ topics: ['a'], lastEventId: '1' });
    await store.append([draft('7', ['a']), draft('8', ['b'])]);
    await tick();
    await store.append([draft('9', ['a'])]);
    await tick();
    await expect.poll(() => late.sink.ids()).toEqual(['3', '4', '6', '7', '9']);
    await engine.close();
  });

  it('starts with the retained state of its topics only', async () => {
    const { store, engine, attach } = setup();
    await store.append([draft('1', ['a']), draft('2', ['b']), draft('3', ['a'])]);
    const retained = attach({ topics: ['a'], retained: true });
    await expect.poll(() => retained.subscriber.live).toBe(true);
    await store.append([draft('4', ['b']), draft('5', ['a'])]);
    await tick();
    expect(retained.sink.ids()).toEqual(['3', '5']);
    await engine.close();
  });

  it('queues a congested indexed subscriber, sends its queue on drain, and forgets it once dropped', async () => {
    const { store, engine, attach } = setup({ maxQueue: 2 });
    const slow = attach({ topics: ['a'] });
    const other = attach({ topics: ['a'] });
    slow.sink.full = true;
    await store.append([draft('1', ['a'])]);
    await tick();
    await store.append([draft('2', ['a']), draft('x', ['b']), draft('3', ['a'])]);
    await tick();
    expect(slow.subscriber.queued).toBe(2);
    slow.sink.drain();
    expect(slow.sink.writes.at(-1)!.toString()).toBe('id: 2\ndata: 2\n\nid: 3\ndata: 3\n\n');
    slow.sink.full = true;
    await store.append([draft('4', ['a'])]);
    await tick();
    await store.append([draft('5', ['a']), draft('6', ['a']), draft('7', ['a'])]);
    await tick();
    expect(slow.sink.destroyed).toBe(true);
    expect(engine.size).toBe(1);
    const written = slow.sink.writes.length;
    await store.append([draft('8', ['a'])]);
    await tick();
    expect(slow.sink.writes).toHaveLength(written);
    expect(other.sink.ids()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    await engine.close();
  });

  it('stops offering events to a detached subscriber', async () => {
    const { store, engine, attach } = setup();
    const gone = attach({ topics: ['a'] });
    engine.detach(gone.subscriber);
    await store.append([draft('1', ['a'])]);
    await tick();
    expect(gone.sink.writes).toHaveLength(0);
    await engine.close();
  });

  it('delivers exactly what a filter scan would, for any subscribers and batches', async () => {
    const topic = fc.constantFrom<string>('a', 'b', 'c', 'd');
    const subscriberSpec = fc.record({
      topics: fc.option(fc.array(topic, { maxLength: 3 }), { nil: undefined }),
      rejectPrivate: fc.boolean(),
      lastEventId: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    });
    const eventSpec = fc.record({
      topics: fc.array(topic, { maxLength: 3 }),
      private: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(subscriberSpec, { minLength: 1, maxLength: 6 }),
        fc.array(fc.array(eventSpec, { minLength: 1, maxLength: 5 }), { maxLength: 4 }),
        async (specs, ticks) => {
          const { store, engine, attach } = setup({ replayPageSize: 3 });
          let n = 0;
          const history = Array.from({ length: 6 }, () => {
            n++;
            return draft(String(n), [n % 2 === 0 ? 'a' : 'b']);
          });
          await store.append(history);
          const subscribers = specs.map((spec) => ({
            spec,
            ...attach({
              topics: spec.topics,
              filter: spec.rejectPrivate ? (e) => e.private !== true : undefined,
              lastEventId: spec.lastEventId === undefined ? undefined : String(spec.lastEventId),
            }),
          }));
          const live: EventDraft[] = [];
          for (const batch of ticks) {
            const drafts = batch.map((e) => draft(String(++n), e.topics, { private: e.private }));
            live.push(...drafts);
            await store.append(drafts);
            await tick();
          }
          for (const { spec, sink, subscriber } of subscribers) {
            await expect.poll(() => subscriber.live).toBe(true);
            const from = spec.lastEventId === undefined ? [] : history.slice(spec.lastEventId);
            const expected = [...from, ...live]
              .filter(
                (e) => spec.topics === undefined || e.topics.some((t) => spec.topics!.includes(t)),
              )
              .filter((e) => !spec.rejectPrivate || e.private !== true)
              .map((e) => e.id);
            expect(sink.ids()).toEqual(expected);
          }
          await engine.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('TopicIndex', () => {
  const event = (position: number, topics: string[]): StoredEvent => ({
    id: String(position),
    data: '',
    topics,
    position,
    time: 0,
    bytes: Buffer.from(String(position)),
  });
  const subscriber = (id: number, topics: string[]) =>
    new Subscriber(
      id,
      new RecordingSink(),
      { maxQueue: 1, maxQueueBytes: 1, conflate: false },
      null,
      topics,
    );

  it('keeps only topics that have subscribers', () => {
    const index = new TopicIndex();
    const one = subscriber(1, ['a', 'b']);
    const two = subscriber(2, ['b']);
    index.add(one);
    index.add(two);
    expect(index.topics).toBe(2);
    index.remove(one);
    expect(index.topics).toBe(1);
    index.remove(two);
    expect(index.topics).toBe(0);
  });

  it('visits each matching subscriber once, with the same list for one topic', () => {
    const index = new TopicIndex();
    const a1 = subscriber(1, ['a']);
    const a2 = subscriber(2, ['a']);
    const ab = subscriber(3, ['a', 'b']);
    const c = subscriber(4, ['c']);
    for (const s of [a1, a2, ab, c]) index.add(s);
    const batch = [event(1, ['a']), event(2, ['b', 'a']), event(3, ['d'])];
    const visits = new Map<Subscriber, readonly StoredEvent[]>();
    index.match(batch, (s, events) => {
      expect(visits.has(s)).toBe(false);
      visits.set(s, events);
    });
    expect([...visits.keys()]).toEqual(expect.arrayContaining([a1, a2, ab]));
    expect(visits.size).toBe(3);
    expect(visits.get(a1)).toBe(visits.get(a2));
    expect(visits.get(a1)!.map((e) => e.position)).toEqual([1, 2]);
    expect(visits.get(ab)!.map((e) => e.position)).toEqual([1, 2]);
  });

  it('merges ascending lists into one, each event once', () => {
    const [e1, e2, e3, e4] = [1, 2, 3, 4].map((p) => event(p, []));
    expect(mergeByPosition([[e1!, e3!], [e2!, e3!, e4!], [e1!]])).toEqual([e1, e2, e3, e4]);
  });
});
