/**
 * The demo hall model: deterministic for a seed, however it is advanced;
 * valid tiles at every moment; `since` moves only with the state; a
 * believable mix of states, reasons and operators.
 */
import { describe, expect, it } from 'vitest';
import { Hall, type HallTile } from './hall.js';
import { DOWNTIME_REASONS, HALL_STATES, OPERATORS } from './hall-vocabulary.js';

const START = Date.parse('2026-11-30T06:00:00Z');
const MINUTE = 60_000;
const hall = (seed = 7) => new Hall({ seed, start: START, speed: 1, size: 20 });
const tiles = (h: Hall): HallTile[] => Array.from({ length: h.size }, (_, i) => h.tile(i));

function expectValid(tile: HallTile, now: number): void {
  expect(HALL_STATES).toContain(tile.state);
  expect(tile.reason === null).toBe(tile.state !== 'Downtime');
  if (tile.reason !== null) expect(Object.keys(DOWNTIME_REASONS)).toContain(tile.reason);
  expect(tile.operator === null).toBe(tile.state === 'Poweroff');
  if (tile.operator !== null) expect(OPERATORS).toContain(tile.operator);
  expect(tile.order).toMatch(/^ZK-\d+$/);
  expect(new Date(tile.since).toISOString()).toBe(tile.since);
  expect(Date.parse(tile.since)).toBeLessThanOrEqual(now);
}

describe('the demo hall', () => {
  it('has 20 workplaces, CNC 0 to CNC 19, each with a valid tile', () => {
    const h = hall();
    expect(h.ids).toEqual(Array.from({ length: 20 }, (_, i) => `cnc-${i}`));
    expect(tiles(h).map((t) => t.name)).toEqual(Array.from({ length: 20 }, (_, i) => `CNC ${i}`));
    for (const tile of tiles(h)) expectValid(tile, START);
  });

  it('is the same hall for the same seed, however its advancing is sliced', () => {
    const a = hall(42);
    const b = hall(42);
    for (let minute = 1; minute <= 8 * 60; minute++) {
      a.advance(START + minute * MINUTE);
      if (minute % 7 === 0) {
        b.advance(START + minute * MINUTE);
        expect(tiles(b)).toEqual(tiles(a));
      }
    }
    expect(tiles(hall(43))).not.toEqual(tiles(hall(42)));
  });

  it('changes since only when the state changes, to the moment it changed', () => {
    const h = hall(3);
    let before = tiles(h);
    let changes = 0;
    let stateChanges = 0;
    while (h.nextChangeAt() < START + 12 * 60 * MINUTE) {
      const at = h.nextChangeAt();
      for (const index of h.advance(at)) {
        const old = before[index]!;
        const now = h.tile(index);
        changes++;
        expectValid(now, at);
        if (now.state === old.state) expect(now.since).toBe(old.since);
        else {
          stateChanges++;
          expect(now.since).toBe(new Date(at).toISOString());
        }
      }
      before = tiles(h);
    }
    // Twelve hours of twenty workplaces: hundreds of changes, some of them orders or operators only.
    expect(changes).toBeGreaterThan(200);
    expect(stateChanges).toBeLessThan(changes);
  });

  it('spends most time producing, a good share in downtime, little powered off, with every reason and distinct operators', () => {
    const h = hall(11);
    const time: Record<string, number> = { Production: 0, Downtime: 0, Poweroff: 0 };
    const reasons = new Set<string>();
    // Sample every minute of a working week of three shifts.
    for (let minute = 0; minute < 5 * 24 * 60; minute++) {
      h.advance(START + minute * MINUTE);
      const now = tiles(h);
      for (const tile of now) {
        time[tile.state] = (time[tile.state] ?? 0) + 1;
        if (tile.reason !== null) reasons.add(tile.reason);
      }
      const operators = now.flatMap((t) => (t.operator === null ? [] : [t.operator]));
      expect(new Set(operators).size).toBe(operators.length);
    }
    const total = 5 * 24 * 60 * 20;
    expect(time.Production! / total).toBeGreaterThan(0.45);
    expect(time.Production! / total).toBeLessThan(0.75);
    expect(time.Downtime! / total).toBeGreaterThan(0.2);
    expect(time.Downtime! / total).toBeLessThan(0.45);
    expect(time.Poweroff! / total).toBeGreaterThan(0.02);
    expect(time.Poweroff! / total).toBeLessThan(0.2);
    expect([...reasons].sort()).toEqual(Object.keys(DOWNTIME_REASONS).sort());
  });

  it('runs faster with speed: a hall hour passes in a real minute at 60x', () => {
    const slow = new Hall({ seed: 5, start: START, speed: 1, size: 20 });
    const fast = new Hall({ seed: 5, start: START, speed: 60, size: 20 });
    let slowChanges = 0;
    let fastChanges = 0;
    for (let m = 1; m <= 60; m++) slowChanges += slow.advance(START + m * MINUTE).length;
    for (let s = 1; s <= 60; s++) fastChanges += fast.advance(START + s * 1000).length;
    expect(fastChanges).toBeGreaterThan(slowChanges * 0.5);
    expect(fastChanges).toBeLessThan(slowChanges * 2);
  });
});
