import { describe, expect, it, vi } from 'vitest';
import { AndonError } from '../errors.js';
import { createMemoryStore } from '../store/memory.js';
import {
  COALESCE_MAX_MS,
  COALESCE_MIN_SUBSCRIBERS,
  Engine,
  type EngineSettings,
} from './engine.js';
import type { Sink } from './sink.js';

const SETTINGS: EngineSettings = {
  heartbeat: 60_000,
  retry: 1000,
  closeJitter: 0,
  maxQueue: 100,
  maxQueueBytes: 1 << 20,
  conflate: false,
  replayPageSize: 1000,
};

/** A sink that records each write; `full` makes writes report backpressure. */
class RecordingSink implements Sink {
  readonly writes: Buffer[] = [];
  full = false;
  ended = false;
  destroyed = false;
  #drain: (() => void) | undefined;
  write(chunk: Buffer): boolean {
    this.writes.push(chunk);
    return !this.full;
  }
  onceDrain(listener: () => void): void {
    this.#drain = listener;
  }
  end(chunk?: Buffer): void {
    if (chunk !== undefined) this.writes.push(chunk);
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  drain(): void {
    this.full = false;
    const drain = this.#drain;
    this.#drain = undefined;
    drain?.();
  }
  text(): string {
    return Buffer.concat(this.writes).toString('utf8');
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const draft = (id: string, key?: string) => ({ id, data: `data ${id}`, topics: [], key });

describe('Engine', () => {
  it('coalesces under load: after a slow dispatch, the events meanwhile go out in one write', async () => {
    const store = createMemoryStore();
    const engine = new Engine(store, SETTINGS);
    const sinks = Array.from({ length: COALESCE_MIN_SUBSCRIBERS }, () => new RecordingSink());
    for (const sink of sinks) engine.attach(sink);
    // One write takes 20 ms: the dispatch takes as long (a fan-out to 10,000 sockets takes ~150 ms).
    const slow = sinks[0]!;
    const write = slow.write.bind(slow);
    slow.write = (chunk) => {
      const until = performance.now() + 20;
      while (performance.now() < until) {}
      return write(chunk);
    };
    await store.append([draft('1')]);
    await tick();
    expect(sinks.every((s) => s.writes.length === 2)).toBe(true);
    await store.append([draft('2')]);
    await tick();
    await store.append([draft('3')]);
    await tick();
    // Held back (not one tick later), then both in one write.
    expect(sinks[1]!.writes).toHaveLength(2);
    await vi.waitFor(() => expect(sinks[1]!.writes).toHaveLength(3), {
      interval: 1,
      timeout: COALESCE_MAX_MS * 20,
    });
    expect(sinks[1]!.writes[2]!.toString()).toBe('id: 2\ndata: data 2\n\nid: 3\ndata: data 3\n\n');
    await engine.close();
  });

  it('ends a stream whose replay the store cannot read (an outage) in good order, with its retry', async () => {
    const store = createMemoryStore();
    await store.append([draft('1')]);
    const outage = new AndonError('ANDON_STORE_UNAVAILABLE', 'The store cannot read (down).');
    store.latest = () => Promise.reject(outage);
    const failed: unknown[] = [];
    const errors: unknown[] = [];
    const engine = new Engine(store, {
      ...SETTINGS,
      observer: {
        catchUpFailed: (_subscriber, error) => failed.push(error),
        error: (error) => errors.push(error),
      },
    });
    const sink = new RecordingSink();
    engine.attach(sink, { retained: true });
    await vi.waitFor(() => expect(sink.ended).toBe(true));
    expect(sink.destroyed).toBe(false);
    expect(sink.text()).toBe('retry: 1000\n\nretry: 1000\n\n');
    expect(failed).toEqual([outage]);
    expect(errors).toEqual([]);
    await engine.close();
  });

  it('writes the events of one tick in one write, the same buffer for every subscriber', async () => {
    const store = createMemoryStore();
    const engine = new Engine(store, SETTINGS);
    const a = new RecordingSink();
    const b = new RecordingSink();
    engine.attach(a);
    engine.attach(b);
    expect(a.text()).toBe('retry: 1000\n\n');
    await store.append([draft('1')]);
    await store.append([draft('2')]);
    await store.append([draft('3')]);
    await tick();
    expect(a.writes).toHaveLength(2);
    expect(a.writes[1]).toBe(b.writes[1]);
    expect(a.writes[1]!.toString()).toBe(
      'id: 1\ndata: data 1\n\nid: 2\ndata: data 2\n\nid: 3\ndata: data 3\n\n',
    );
    await engine.close();
  });

  it('runs one heartbeat timer however many subscribers it has', async () => {
    const store = createMemoryStore();
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    let engine: Engine;
    let sinks: RecordingSink[];
    try {
      engine = new Engine(store, { ...SETTINGS, heartbeat: 20 });
      sinks = Array.from({ length: 500 }, () => new RecordingSink());
      for (const sink of sinks) engine.attach(sink);
      expect(intervals).toHaveBeenCalledTimes(1);
      expect(timeouts).not.toHaveBeenCalled();
    } finally {
      intervals.mockRestore();
      timeouts.mockRestore();
    }
    // The one timer beats for everyone.
    await vi.waitFor(() => expect(sinks.every((s) => s.text().endsWith(':\n\n'))).toBe(true));
    await engine.close();
  });

  it('queues while congested, sends the queue in one write on drain, and drops past the bound', async () => {
    const store = createMemoryStore();
    const engine = new Engine(store, { ...SETTINGS, maxQueue: 3 });
    const slow = new RecordingSink();
    const fast = new RecordingSink();
    const slowSubscriber = engine.attach(slow);
    engine.attach(fast);
    slow.full = true;
    await store.append([draft('1')]);
    await tick();
    expect(slowSubscriber.congested).toBe(true);
    await store.append([draft('2'), draft('3')]);
    await tick();
    expect(slow.writes).toHaveLength(2);
    expect(slowSubscriber.queued).toBe(2);
    slow.drain();
    expect(slow.writes).toHaveLength(3);
    expect(slow.writes[2]!.toString()).toBe('id: 2\ndata: data 2\n\nid: 3\ndata: data 3\n\n');
    slow.full = true;
    await store.append([draft('4')]);
    await tick();
    await store.append([draft('5'), draft('6'), draft('7'), draft('8')]);
    await tick();
    expect(slow.destroyed).toBe(true);
    expect(engine.size).toBe(1);
    expect(fast.text()).toContain('id: 8\n');
    await engine.close();
  });

  it('conflates a congested queue to the latest event per key, in position order', async () => {
    const store = createMemoryStore();
    const engine = new Engine(store, { ...SETTINGS, maxQueue: 2, conflate: true });
    const slow = new RecordingSink();
    engine.attach(slow);
    slow.full = true;
    await store.append([draft('0', 'x')]);
    await tick();
    for (let i = 1; i <= 50; i++) await store.append([draft(`a${i}`, 'a'), draft(`b${i}`, 'b')]);
    await tick();
    expect(slow.destroyed).toBe(false);
    slow.drain();
    expect(slow.writes.at(-1)!.toString()).toBe(
      'id: a50\ndata: data a50\n\nid: b50\ndata: data b50\n\n',
    );
    await engine.close();
  });

  it('replays from a Last-Event-ID with no gap or duplicate, even when events arrive meanwhile', async () => {
    const store = createMemoryStore();
    const engine = new Engine(store, SETTINGS);
    await store.append([draft('1'), draft('2'), draft('3')]);
    const sink = new RecordingSink();
    engine.attach(sink, { lastEventId: '1' });
    await store.append([draft('4')]);
    await tick();
    await store.append([draft('5')]);
    await tick();
    const ids = [...sink.text().matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
    expect(ids).toEqual(['2', '3', '4', '5']);
    await engine.close();
  });

  it('ends every stream on close with a retry within [retry, retry + closeJitter]', async () => {
    const store = createMemoryStore();
    const engine = new Engine(store, { ...SETTINGS, closeJitter: 500 });
    const sinks = Array.from({ length: 20 }, () => new RecordingSink());
    for (const sink of sinks) engine.attach(sink);
    await engine.close();
    const retries = sinks.map((sink) => {
      expect(sink.ended).toBe(true);
      return Number(/retry: (\d+)\n\n$/.exec(sink.text())?.[1]);
    });
    for (const retry of retries) expect(retry).toBeGreaterThanOrEqual(1000);
    for (const retry of retries) expect(retry).toBeLessThanOrEqual(1500);
    expect(new Set(retries).size).toBeGreaterThan(1);
    expect(() => engine.attach(new RecordingSink())).toThrowError(/closed/);
  });
});
