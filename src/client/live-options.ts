/**
 * The options of a live subscription, their defaults, and their validation:
 * merged once, when the subscription is made, so a mistake is thrown at the
 * call that made it rather than on some later reconnection.
 */
import { DEFAULT_INITIAL_RETRY_MS, DEFAULT_MAX_RETRY_MS, type RetryOptions } from './backoff.js';
import { DEFAULT_MAX_SIZE } from './sse-parser.js';

/** The Mercure hub's path on the page's own origin. */
export const DEFAULT_HUB = '/.well-known/mercure';
/**
 * Heartbeat asked of the hub, in ms: two seconds, so a wall screen knows
 * within seconds that its data stopped flowing, at 3 bytes per beat.
 */
export const DEFAULT_HEARTBEAT_MS = 2000;
/** The hub refuses shorter heartbeats: its heartbeat timer ticks once a second. */
export const MIN_HEARTBEAT_MS = 1000;
/**
 * Default `staleAfterMs` as a multiple of the heartbeat. The hub's timer
 * ticks once a second, so a beat can come up to a tick late (3 s apart for
 * a 2 s heartbeat); 2.5 beats leaves room for that and for network jitter
 * without letting a dead stream pass for live for long.
 */
export const STALE_HEARTBEATS = 2.5;

/** A bearer token, or a function giving the current one (called at every connection). */
export type TokenSource = string | (() => string | Promise<string>);

/** Options of `subscribe()` (live.ts). */
export interface LiveOptions {
  /** The hub's URL, absolute or relative to the page. Default {@link DEFAULT_HUB}. */
  readonly hub?: string | URL;
  /** Topic selectors (topics or URI templates); at least one. */
  readonly topics: readonly string[];
  /**
   * Asks the hub (`retained=1`) for the latest update of every matching
   * topic first, then live updates. Kept on reconnection: the hub replays
   * after a known last event id and sends the retained state again (after a
   * `reset`) for an unknown one. Default false.
   */
  readonly retained?: boolean;
  /** The last event id to resume after (a server-rendered page's). Default: none. */
  readonly lastEventId?: string;
  /**
   * Heartbeat asked of the hub (`heartbeat=`), in ms, at least
   * {@link MIN_HEARTBEAT_MS}. Default {@link DEFAULT_HEARTBEAT_MS}. `0` asks
   * nothing (the hub's own interval applies) and, unless `staleAfterMs` is
   * given, turns stale detection off.
   */
  readonly heartbeatMs?: number;
  /**
   * Silence (no event, no heartbeat) after which the data is stale, in ms;
   * a connection (or an unanswered request) that silent is also dropped and
   * reopened. Default
   * {@link STALE_HEARTBEATS} heartbeats. `0` turns stale detection off.
   */
  readonly staleAfterMs?: number;
  /** Sent as `Authorization: Bearer <token>`. Default: none (cookies, or an anonymous hub). */
  readonly token?: TokenSource;
  /** `fetch`'s credentials mode; `include` sends the hub's cookie cross-origin. Default: fetch's (`same-origin`). */
  readonly credentials?: RequestCredentials;
  /** Reconnection backoff; see `backoff.ts`. */
  readonly retry?: RetryOptions;
  /**
   * Longest line or event accepted, in characters; past it the connection
   * is dropped and reopened. Default 16 Mi ({@link DEFAULT_MAX_SIZE}).
   */
  readonly maxEventSize?: number;
  /** The `fetch` to use (tests, instrumentation). Default: the global one. */
  readonly fetch?: typeof fetch;
}

/** {@link LiveOptions} with every default applied. */
export interface LiveSettings {
  readonly hub: string;
  readonly topics: readonly string[];
  readonly retained: boolean;
  readonly lastEventId: string;
  readonly heartbeatMs: number;
  readonly staleAfterMs: number;
  readonly token: TokenSource | undefined;
  readonly credentials: RequestCredentials | undefined;
  readonly retry: Required<RetryOptions>;
  readonly maxEventSize: number;
  readonly fetch: typeof fetch;
}

function wholeMs(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `"${name}" must be a whole number of ms of at least ${min}; got ${value}.`,
    );
  }
  return value;
}

/** Applies the defaults to `options`; throws a TypeError or RangeError naming a bad option. */
export function resolveLiveOptions(options: LiveOptions): LiveSettings {
  const topics = options.topics;
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new TypeError('"topics" must list at least one topic selector.');
  }
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic === '') {
      throw new TypeError(`Every topic selector must be a non-empty string; got ${String(topic)}.`);
    }
  }
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (heartbeatMs !== 0) wholeMs('heartbeatMs', heartbeatMs, MIN_HEARTBEAT_MS);
  const staleAfterMs = wholeMs(
    'staleAfterMs',
    options.staleAfterMs ?? Math.round(heartbeatMs * STALE_HEARTBEATS),
    0,
  );
  const initialMs = wholeMs(
    'retry.initialMs',
    options.retry?.initialMs ?? DEFAULT_INITIAL_RETRY_MS,
    0,
  );
  const maxMs = wholeMs('retry.maxMs', options.retry?.maxMs ?? DEFAULT_MAX_RETRY_MS, initialMs);
  const explicitFetch = options.fetch;
  return {
    hub: String(options.hub ?? DEFAULT_HUB),
    topics: [...topics],
    retained: options.retained ?? false,
    lastEventId: options.lastEventId ?? '',
    heartbeatMs,
    staleAfterMs,
    token: options.token,
    credentials: options.credentials,
    retry: { initialMs, maxMs },
    maxEventSize: wholeMs('maxEventSize', options.maxEventSize ?? DEFAULT_MAX_SIZE, 1),
    // Called through a wrapper: a bare native fetch called as a method throws "Illegal invocation".
    fetch: explicitFetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}
