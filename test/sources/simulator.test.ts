/**
 * The demo simulator as a source: on fake timers (an hour of the hall in
 * milliseconds, deterministic for a seed) and, wired by `andon serve --demo`,
 * feeding a real hub.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseServeArgs } from '../../src/cli/settings.js';
import type { LocalUpdate } from '../../src/mercure/hub.js';
import { HALL_STATES } from '../../src/sources/hall-vocabulary.js';
import { createSimulator, type SimulatorOptions } from '../../src/sources/simulator.js';
import { EventSourceClient } from '../helpers/event-source.js';
import { startHub } from '../helpers/hub.js';

const START = Date.parse('2026-11-30T06:00:00Z');
const TOPIC = (i: number) => `https://andon.example/workplaces/cnc-${i}`;

interface Published {
  readonly at: number;
  readonly topic: string;
  readonly data: Record<string, unknown>;
}

/** Runs a simulator on fake timers for `ms` and returns what it published, with the (fake) time of each. */
async function run(options: SimulatorOptions, ms: number): Promise<Published[]> {
  vi.useFakeTimers({ now: START });
  const published: Published[] = [];
  const simulator = createSimulator(options);
  simulator.start(async (update: LocalUpdate) => {
    published.push({
      at: Date.now(),
      topic: update.topics[0] ?? '',
      data: JSON.parse(update.data) as Record<string, unknown>,
    });
    return 'id';
  });
  await vi.advanceTimersByTimeAsync(ms);
  const stopped = simulator.stop();
  await vi.runOnlyPendingTimersAsync();
  await stopped;
  vi.useRealTimers();
  return published;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the demo simulator', () => {
  it('publishes all 20 workplaces at once, then every 10 s, with valid tiles', async () => {
    const published = await run({ seed: 1 }, 60_000);
    const first = published.filter((p) => p.at === START);
    expect(first.map((p) => p.topic)).toEqual(Array.from({ length: 20 }, (_, i) => TOPIC(i)));
    for (let k = 0; k <= 6; k++) {
      const topics = new Set(
        published.filter((p) => p.at === START + k * 10_000).map((p) => p.topic),
      );
      expect(topics.size, `republish at ${k * 10} s`).toBe(20);
    }
    for (const { data } of published) {
      expect(HALL_STATES).toContain(data.state);
      expect(data.name).toMatch(/^CNC \d+$/);
      expect(Object.keys(data)).toEqual(['name', 'state', 'operator', 'order', 'reason', 'since']);
    }
  });

  it('publishes each change the moment it happens; since moves only with the state', async () => {
    const published = await run({ seed: 2, republishEvery: 60_000 }, 60 * 60_000);
    const last = new Map<string, Published>();
    let stateChanges = 0;
    let otherChanges = 0;
    for (const p of published) {
      const before = last.get(p.topic);
      last.set(p.topic, p);
      if (before === undefined) continue;
      if (p.data.state !== before.data.state) {
        stateChanges++;
        // Published at the fake instant of the change: no batching, no delay.
        expect(p.data.since).toBe(new Date(p.at).toISOString());
      } else {
        expect(p.data.since).toBe(before.data.since);
        if (JSON.stringify(p.data) !== JSON.stringify(before.data)) otherChanges++;
      }
    }
    // An hour of twenty workplaces: dozens of state changes, a few order or operator changes.
    expect(stateChanges).toBeGreaterThan(20);
    expect(otherChanges).toBeGreaterThan(0);
    // Changes come between republishes (every 60 s here), not only with them.
    expect(published.some((p) => (p.at - START) % 60_000 !== 0)).toBe(true);
  });

  it('is deterministic for a seed; speed makes the hall change faster', async () => {
    const a = await run({ seed: 9 }, 30 * 60_000);
    const b = await run({ seed: 9 }, 30 * 60_000);
    expect(b).toEqual(a);
    const c = await run({ seed: 10 }, 30 * 60_000);
    expect(c).not.toEqual(a);
    const fast = await run({ seed: 9, speed: 30, republishEvery: 0 }, 60_000);
    const slow = await run({ seed: 9, speed: 1, republishEvery: 0 }, 60_000);
    // At 30x a minute holds half an hour of changes; at 1x a handful.
    expect(fast.length).toBeGreaterThan(slow.length + 10);
  });

  it('refuses options out of range, naming them', () => {
    expect(() => createSimulator({ speed: 0 })).toThrow(/speed/);
    expect(() => createSimulator({ workplaces: 0 })).toThrow(/workplaces/);
    expect(() => createSimulator({ republishEvery: -1 })).toThrow(/republishEvery/);
    expect(() => createSimulator({ topic: 'https://andon.example/x' })).toThrow(/\{id\}/);
  });

  it('keeps going when a publish fails, and says so in its health', async () => {
    vi.useFakeTimers({ now: START });
    const simulator = createSimulator({ seed: 4 });
    let fail = true;
    let published = 0;
    simulator.start(async () => {
      if (fail) throw new Error('store down');
      published++;
      return 'id';
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(simulator.health()).toMatchObject({ ok: false });
    expect(simulator.health().detail).toMatch(/store down/);
    fail = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(published).toBeGreaterThanOrEqual(20);
    expect(simulator.health().ok).toBe(true);
    const stopped = simulator.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopped;
  });
});

describe('andon serve --demo', () => {
  it('runs the demo hall into the hub: 20 workplaces at once, listed in /healthz', async () => {
    const hub = await startHub(['--demo', '--anonymous']);
    const subscriber = new EventSourceClient(
      `${hub.hubUrl}?topic=${encodeURIComponent('https://andon.example/workplaces/{id}')}&lastEventID=earliest`,
    );
    try {
      const events = await subscriber.waitForEvents(20);
      const names = events.slice(0, 20).map((e) => (JSON.parse(e.data) as { name: string }).name);
      expect(new Set(names).size).toBe(20);
      const health = (await (await fetch(`${hub.base}/healthz`)).json()) as {
        sources: Record<string, { ok: boolean }>;
      };
      expect(health.sources.demo).toMatchObject({ ok: true });
    } finally {
      subscriber.close();
      await hub.close();
    }
  });

  it('is what npm start runs: config/demo.yaml turns it on', () => {
    const command = parseServeArgs(['--config', 'config/demo.yaml'], {});
    expect(command.help === false && command.config.demo).toBe(true);
  });
});
