/**
 * One heartbeat timer for all subscribers of an engine, never one per
 * connection. The timer ticks at most once a second (faster only when the
 * interval itself is shorter); on each tick a subscriber that has heard
 * nothing for its interval gets a comment, so proxies and the client's stale
 * detection see a live connection without adding bytes to busy streams. A
 * subscriber may ask for its own interval (a wall screen that wants to know
 * within seconds that it is cut off), still served by the same timer.
 */
import { encodeComment } from '../sse/encoder.js';
import type { Subscriber } from './subscriber.js';

/** The heartbeat comment: the shortest valid SSE comment block. */
export const HEARTBEAT_BYTES = encodeComment();

/** Longest tick: a heartbeat comes at most half a second after its interval. */
export const HEARTBEAT_TICK_MS = 500;

/**
 * Starts the shared timer. `intervalMs` is the default interval; 0 means no
 * heartbeats except for subscribers that asked for their own interval.
 * Returns a function that stops it.
 */
export function startHeartbeat(intervalMs: number, subscribers: Iterable<Subscriber>): () => void {
  const tick = intervalMs === 0 ? HEARTBEAT_TICK_MS : Math.min(intervalMs, HEARTBEAT_TICK_MS);
  const timer = setInterval(() => {
    for (const subscriber of subscribers) {
      if (subscriber.wroteSinceBeat) {
        subscriber.wroteSinceBeat = false;
        subscriber.idleMs = 0;
        continue;
      }
      const interval = subscriber.heartbeatMs || intervalMs;
      if (interval === 0) continue;
      subscriber.idleMs += tick;
      if (subscriber.idleMs >= interval && !subscriber.congested) {
        subscriber.write(HEARTBEAT_BYTES);
        subscriber.wroteSinceBeat = false;
        subscriber.idleMs = 0;
      }
    }
  }, tick);
  // The heartbeat alone must not keep a process alive.
  timer.unref();
  return () => clearInterval(timer);
}
