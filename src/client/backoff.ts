/**
 * How long a live subscription waits before reconnecting. Pure: the caller
 * passes the random number, so the schedule is testable.
 *
 * The base is the server's `retry` (the hub sends one first on every
 * stream), or {@link RetryOptions.initialMs} until one arrived. After a
 * connection that delivered something, the wait is the base; each attempt in
 * a row that delivered nothing doubles it, up to {@link RetryOptions.maxMs}
 * (or the server's `retry`, if the server asks for longer). Jitter adds up to
 * {@link JITTER_RATIO} of the wait, so screens cut off together (a hub
 * crash) do not all come back in the same millisecond.
 */

/** Reconnection settings of a live subscription. */
export interface RetryOptions {
  /** Wait before the server has sent a `retry`, in ms. Default {@link DEFAULT_INITIAL_RETRY_MS}. */
  readonly initialMs?: number;
  /**
   * Longest wait between failed attempts, before jitter, in ms. Default
   * {@link DEFAULT_MAX_RETRY_MS}. A longer `retry` from the server still wins.
   */
  readonly maxMs?: number;
}

/** One second, as EventSource implementations commonly start with. */
export const DEFAULT_INITIAL_RETRY_MS = 1000;
/** Ten seconds: a wall screen is back within seconds of its hub, and a down hub sees a trickle. */
export const DEFAULT_MAX_RETRY_MS = 10_000;
/** Jitter adds up to a fifth of the wait: enough to spread a crowd, never reconnecting early. */
export const JITTER_RATIO = 0.2;
/**
 * Longest server `retry` honoured, in ms: ten minutes. A misconfigured hub
 * must not leave a screen dark for hours, and timers overflow past 2^31 ms.
 */
export const MAX_SERVER_RETRY_MS = 10 * 60_000;

/** What the next wait depends on. */
export interface BackoffInput {
  /** The server's last `retry`, if it sent one. */
  readonly serverRetryMs: number | undefined;
  /** Attempts in a row that delivered nothing (0 after one that did). */
  readonly failures: number;
  /** A random number in [0, 1). */
  readonly random: number;
}

/** The wait before the next attempt, in ms, for `settings` (see the module comment). */
export function reconnectDelay(settings: Required<RetryOptions>, input: BackoffInput): number {
  const server =
    input.serverRetryMs === undefined
      ? undefined
      : Math.min(input.serverRetryMs, MAX_SERVER_RETRY_MS);
  const base = server ?? settings.initialMs;
  const ceiling = Math.max(settings.maxMs, server ?? 0);
  // 2^30 already exceeds every ceiling; a larger exponent would only risk Infinity.
  const exponent = Math.min(input.failures, 30);
  const wait = Math.min(base * 2 ** exponent, ceiling);
  return Math.round(wait * (1 + JITTER_RATIO * input.random));
}
