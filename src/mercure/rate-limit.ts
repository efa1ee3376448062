/**
 * Publishes per second per token: a token bucket per key (the token's
 * subject, else a hash of the token), refilled continuously. Buckets of keys
 * idle long enough to be full again are dropped, so the map stays as small as
 * the set of active publishers.
 */

/** Most keys tracked at once; past it the oldest are forgotten (they start full again). */
export const MAX_RATE_KEYS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Allows `rate` events per second per key, with bursts up to `burst`. */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, Bucket>();

  /** `rate` per second (greater than 0); `burst` defaults to one second's worth, at least 1. */
  constructor(rate: number, burst: number = Math.max(1, Math.ceil(rate))) {
    this.#rate = rate;
    this.#burst = burst;
  }

  /**
   * Takes one token for `key`. Returns 0 when allowed, else the seconds to
   * wait before the next one is (for `Retry-After`).
   */
  take(key: string, now: number = Date.now()): number {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_RATE_KEYS) this.#sweep(now);
      bucket = { tokens: this.#burst, at: now };
    } else {
      this.#buckets.delete(key);
      bucket.tokens = Math.min(
        this.#burst,
        bucket.tokens + ((now - bucket.at) / 1000) * this.#rate,
      );
      bucket.at = now;
    }
    // Re-inserted so the map's order is least recently used first.
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate));
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      const full = bucket.tokens + ((now - bucket.at) / 1000) * this.#rate >= this.#burst;
      if (full || this.#buckets.size >= MAX_RATE_KEYS) this.#buckets.delete(key);
      else break;
    }
  }
}
