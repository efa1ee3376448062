/**
 * What the engine costs per event with many subscribers on many topics,
 * measured in-process (no sockets): an {@link Engine} over a memory store,
 * with fake sinks that accept every write, subscribed the way the hub
 * subscribes them.
 *
 * `index`: each subscriber is attached with its exact topic (`topics`) and
 * the hub's entitlement filter, as `subscribe.ts` does now; the engine finds
 * it through its topic index. `scan`: the same subscribers attached with a
 * filter only (the selector's matcher and the entitlement), as the hub did
 * before the index; the engine runs every filter for every event. Both
 * include one subscriber on `*`, which is scanned in both.
 */
import { Engine } from '../../src/engine/engine.js';
import type { StoredEvent } from '../../src/engine/event.js';
import type { Sink } from '../../src/engine/sink.js';
import { compileSelector, matchesAny } from '../../src/mercure/topic-selector.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { benchDraft, eventTopic } from './drafts.js';
import { Samples } from './samples.js';

/** How subscribers are attached. */
export type DispatchMode = 'index' | 'scan' | 'none';

/** What one configuration measured. */
export interface DispatchCost {
  readonly mode: DispatchMode;
  readonly subscribers: number;
  readonly batchSize: number;
  readonly events: number;
  /** Wall time per event: append, flush and every write, over the whole run, in µs. */
  readonly perEventUs: number;
  /** Wall time per batch (append to flushed), in ms. */
  readonly batchMs: ReturnType<Samples['summary']>;
  /** Events written to sinks (each counted once per subscriber). */
  readonly deliveries: number;
}

/** A sink that takes everything at once and counts it. */
class NullSink implements Sink {
  bytes = 0;
  write(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }
  onceDrain(): void {}
  end(): void {}
  destroy(): void {}
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A deterministic generator (mulberry32), so every mode publishes to the same topics. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Attaches `subscribers` subscribers, subscriber i on topic i (and one on
 * `*` unless mode is `none`), then publishes `events` events to random topics
 * in batches of `batchSize`, each flushed before the next.
 */
export async function measureDispatch(
  mode: DispatchMode,
  subscribers: number,
  batchSize: number,
  events: number,
): Promise<DispatchCost> {
  const store = createMemoryStore();
  let deliveries = 0;
  const engine = new Engine(store, {
    heartbeat: 0,
    retry: 1000,
    closeJitter: 0,
    maxQueue: 1000,
    maxQueueBytes: 1 << 20,
    conflate: false,
    replayPageSize: 1000,
    observer: { delivered: (n) => (deliveries += n) },
  });
  // The hub's filters: no entitlement (anonymous), so private updates are refused.
  const mayRead = (event: StoredEvent) => event.private !== true;
  if (mode !== 'none') {
    for (let i = 0; i < subscribers; i++) {
      const topic = eventTopic(i, subscribers);
      if (mode === 'index') engine.attach(new NullSink(), { topics: [topic], filter: mayRead });
      else {
        const matchers = [compileSelector(topic)];
        const filter = (e: StoredEvent) => matchesAny(matchers, e.topics) && mayRead(e);
        engine.attach(new NullSink(), { filter });
      }
    }
    const all = [compileSelector('*')];
    engine.attach(new NullSink(), { filter: (e) => matchesAny(all, e.topics) && mayRead(e) });
  }
  const next = random(42);
  const batchMs = new Samples();
  let n = 0;
  const start = performance.now();
  while (n < events) {
    const drafts = Array.from({ length: Math.min(batchSize, events - n) }, () => {
      n++;
      return {
        ...benchDraft(n),
        topics: [eventTopic(Math.floor(next() * subscribers), subscribers)],
      };
    });
    const t = performance.now();
    await store.append(drafts);
    await tick();
    batchMs.add(performance.now() - t);
  }
  const elapsed = performance.now() - start;
  await engine.close();
  await store.close();
  return {
    mode,
    subscribers,
    batchSize,
    events,
    perEventUs: (elapsed * 1000) / events,
    batchMs: batchMs.summary(),
    deliveries,
  };
}
