/**
 * Retry delays for a source whose database went away: doubling from a first
 * delay up to a cap, shortened by a random part so that several hubs polling
 * one database do not all knock at the same instant when it comes back.
 */

/** Share of a delay that may be taken off at random. */
export const BACKOFF_JITTER = 0.2;

/** When to retry. */
export interface Backoff {
  /** Delay before the first retry, ms. */
  readonly initial: number;
  /** Longest delay, ms: a database that comes back is noticed at most this late. */
  readonly max: number;
}

/**
 * The delay before retry number `attempt` (1 for the first): `initial`,
 * doubled each time, capped at `max`, less up to {@link BACKOFF_JITTER} of it.
 * `random` draws in [0, 1); pass `() => 0` for no jitter.
 */
export function backoffDelay(
  attempt: number,
  backoff: Backoff,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 52);
  const base = Math.min(backoff.max, backoff.initial * 2 ** exponent);
  return Math.round(base * (1 - BACKOFF_JITTER * random()));
}
