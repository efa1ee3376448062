/**
 * One heartbeat timer for all subscribers of an engine, never one per
 * connection. Each beat writes a comment to every subscriber that heard
 * nothing since the previous beat, so proxies and the client's stale
 * detection see a live connection without adding bytes to busy streams.
 */
import { encodeComment } from '../sse/encoder.js';
import type { Subscriber } from './subscriber.js';

/** The heartbeat comment: the shortest valid SSE comment block. */
export const HEARTBEAT_BYTES = encodeComment();

/** Starts the shared timer. Returns a function that stops it. `intervalMs` 0 disables it. */
export function startHeartbeat(intervalMs: number, subscribers: Iterable<Subscriber>): () => void {
  if (intervalMs === 0) return () => {};
  const timer = setInterval(() => {
    for (const subscriber of subscribers) {
      if (!subscriber.wroteSinceBeat && !subscriber.congested) subscriber.write(HEARTBEAT_BYTES);
      subscriber.wroteSinceBeat = false;
    }
  }, intervalMs);
  // The heartbeat alone must not keep a process alive.
  timer.unref();
  return () => clearInterval(timer);
}
