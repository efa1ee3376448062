/**
 * Latency samples and their percentiles. Samples go into a growing
 * Float64Array, so millions of them (a memory store appends millions a
 * second) cost 8 bytes each and no garbage.
 */

/** A set of durations in ms. */
export class Samples {
  #values = new Float64Array(4096);
  #count = 0;
  #sorted: Float64Array | undefined;

  add(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
    this.#sorted = undefined;
  }

  get count(): number {
    return this.#count;
  }

  /** The first sample added (a cold measurement, before caches warm), NaN when empty. */
  get first(): number {
    return this.#count === 0 ? Number.NaN : this.#values[0]!;
  }

  /** The nearest-rank percentile `p` (0 to 100), NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    this.#sorted ??= this.#values.slice(0, this.#count).sort();
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil((p / 100) * this.#count) - 1));
    return this.#sorted[rank]!;
  }

  /** Count, first, p50, p99 and max, for the JSON results. */
  summary(): { count: number; first: number; p50: number; p99: number; max: number } {
    return {
      count: this.#count,
      first: this.first,
      p50: this.percentile(50),
      p99: this.percentile(99),
      max: this.percentile(100),
    };
  }
}

/** Runs `action` `times` times, one after the other, and returns how long each took. */
export async function measure(times: number, action: () => Promise<unknown>): Promise<Samples> {
  const samples = new Samples();
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await action();
    samples.add(performance.now() - start);
  }
  return samples;
}
