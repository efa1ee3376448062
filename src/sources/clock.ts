/**
 * The clock source: publishes the current time as an event of type `time`
 * every interval, the service Andon grew from. Data is the ISO 8601 time with
 * milliseconds, in UTC (`2026-11-30T12:00:00.123Z`); pages format it locally.
 */
import type { Stream } from '../sse/stream.js';

/** The event type of clock events. */
export const TIME_EVENT = 'time';

/** Options of {@link startClock}. */
export interface ClockOptions {
  /** Milliseconds between events; at least 1 (the original service's rate). */
  readonly interval: number;
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Starts publishing the time to `stream`. Returns a function that stops it. */
export function startClock(stream: Stream, options: ClockOptions): () => void {
  const now = options.now ?? Date.now;
  const tick = () => {
    stream.send({ event: TIME_EVENT, data: new Date(now()).toISOString() });
  };
  tick();
  const timer = setInterval(tick, Math.max(1, options.interval));
  return () => clearInterval(timer);
}
