/**
 * The browser client's reconnection schedule (src/client/backoff.ts), run in
 * Node: the server's `retry` is the floor, failures in a row double the wait
 * up to the maximum, jitter only ever adds, and absurd inputs stay finite.
 */
import { describe, expect, it } from 'vitest';
import { JITTER_RATIO, MAX_SERVER_RETRY_MS, reconnectDelay } from '../../src/client/backoff.js';

const SETTINGS = { initialMs: 1000, maxMs: 10_000 };

describe('reconnectDelay', () => {
  it('waits the initial delay until the server sent a retry, then the server’s retry', () => {
    expect(reconnectDelay(SETTINGS, { serverRetryMs: undefined, failures: 0, random: 0 })).toBe(
      1000,
    );
    expect(reconnectDelay(SETTINGS, { serverRetryMs: 2000, failures: 0, random: 0 })).toBe(2000);
    expect(reconnectDelay(SETTINGS, { serverRetryMs: 0, failures: 0, random: 0.9 })).toBe(0);
  });

  it('doubles per failure in a row, up to the maximum', () => {
    const waits = [0, 1, 2, 3, 4, 5, 50].map((failures) =>
      reconnectDelay(SETTINGS, { serverRetryMs: 1500, failures, random: 0 }),
    );
    expect(waits).toEqual([1500, 3000, 6000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('adds at most JITTER_RATIO of the wait, never less than the wait', () => {
    const at = (random: number) =>
      reconnectDelay(SETTINGS, { serverRetryMs: 2000, failures: 1, random });
    expect(at(0)).toBe(4000);
    expect(at(0.5)).toBe(4000 * (1 + JITTER_RATIO / 2));
    expect(at(0.999_999)).toBeLessThanOrEqual(4000 * (1 + JITTER_RATIO));
  });

  it('honours a server retry longer than the maximum, up to MAX_SERVER_RETRY_MS', () => {
    expect(reconnectDelay(SETTINGS, { serverRetryMs: 30_000, failures: 3, random: 0 })).toBe(
      30_000,
    );
    expect(reconnectDelay(SETTINGS, { serverRetryMs: 1e12, failures: 0, random: 0 })).toBe(
      MAX_SERVER_RETRY_MS,
    );
    expect(
      Number.isFinite(reconnectDelay(SETTINGS, { serverRetryMs: 5, failures: 5000, random: 0 })),
    ).toBe(true);
  });
});
