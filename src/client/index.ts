/**
 * `andon/client`: live data and the server's time in the browser.
 *
 * Served by the hub at `/assets/client/index.js` as a native ES module, and
 * published as `andon/client` for bundlers. No dependencies, no Node APIs.
 *
 * ## Live updates
 *
 * ```js
 * import { subscribe } from '/assets/client/index.js';
 *
 * const live = subscribe({
 *   topics: ['https://andon.example/workplaces/{id}'],
 *   retained: true,          // the latest update of every topic first, then live
 *   heartbeatMs: 2000,       // the hub sends a heartbeat after 2 s of silence
 * });
 * live.on('update', ({ id, type, data }) => render(JSON.parse(data)));
 * live.on('reset', () => {}); // a gap: with `retained`, the current state follows at once
 * live.on('stale', (since) => (document.body.dataset.stale = String(since)));
 * live.on('live', () => delete document.body.dataset.stale);
 * ```
 *
 * The subscription reads the stream with `fetch`, so it sees heartbeats and
 * can send a token (`token: 'eyJ…'`, or a function returning the current
 * one). It never gives up: after a dropped connection it waits the hub's
 * `retry`, doubling the wait (with jitter, up to 10 s) while attempts fail,
 * and resumes after the last event id it received, so nothing is missed or
 * received twice. The data is **stale** when nothing, not even a heartbeat,
 * arrived for `staleAfterMs` (2.5 heartbeats by default); a short reconnection
 * (a hub restart) does not make it stale. A connection silent that long is
 * dropped and reopened, since a half-open connection never fails by itself.
 * `live.state` is `connecting`, `open`, `reconnecting` or `closed`;
 * `live.close()` ends it. Failed attempts are reported by the `error` event.
 *
 * A page rendered by the server from retained state passes the id it was
 * rendered at as `lastEventId` and resumes exactly there.
 *
 * ## The server's time
 *
 * ```js
 * import { ServerClock } from '/assets/client/index.js';
 *
 * const clock = new ServerClock();   // GET /now, 5 round trips, every 5 minutes
 * await clock.start();
 * setInterval(() => show(new Date(clock.now())), 250);
 * ```
 *
 * `clock.offset` (ms to add to `Date.now()`) is taken from the round trip
 * with the shortest time (`clock.rtt`), so screens agree to within a few ms
 * however wrong their own clocks are.
 *
 * ## Parsing event streams
 *
 * {@link SseParser} is the incremental WHATWG parser underneath, usable on
 * its own (it reports comments, and bounds lines and events).
 *
 * @packageDocumentation
 */
export {
  DEFAULT_INITIAL_RETRY_MS,
  DEFAULT_MAX_RETRY_MS,
  JITTER_RATIO,
  MAX_SERVER_RETRY_MS,
  type RetryOptions,
} from './backoff.js';
export type { Listener } from './emitter.js';
export {
  type LiveEvents,
  type LiveReset,
  type LiveState,
  type LiveSubscription,
  type LiveUpdate,
  RESET_EVENT,
  subscribe,
} from './live.js';
export { LiveError, type LiveErrorKind } from './live-error.js';
export {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HUB,
  type LiveOptions,
  MIN_HEARTBEAT_MS,
  STALE_HEARTBEATS,
  type TokenSource,
} from './live-options.js';
export {
  type ClockEstimate,
  DEFAULT_NOW_URL,
  DEFAULT_REFRESH_MS,
  DEFAULT_SAMPLES,
  ServerClock,
  type ServerClockEvents,
  type ServerClockOptions,
} from './server-clock.js';
export {
  DEFAULT_EVENT_TYPE,
  DEFAULT_MAX_SIZE,
  type SseEvent,
  type SseHandlers,
  SseLimitError,
  SseParser,
  type SseParserOptions,
} from './sse-parser.js';
