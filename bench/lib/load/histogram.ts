/**
 * A latency histogram with bounded memory, in the spirit of HdrHistogram:
 * values in microseconds land in log-linear buckets (exact below 256 µs,
 * then 128 buckets per power of two, so any value is known to within 0.8%).
 * It holds any number of samples in 3,200 counters (25 KiB), records in a few
 * nanoseconds without allocating, and merges by adding counters, so load
 * workers send theirs to the coordinator over IPC.
 */

/** Values below this many µs get one bucket each. */
const LINEAR_LIMIT = 256;
/** Buckets per power of two above {@link LINEAR_LIMIT}: the relative precision is 1/128. */
const SUB_BUCKETS = 128;
/** Powers of two above the linear range: up to 2^31 µs (about 36 minutes), the largest kept. */
const OCTAVES = 23;
/** Number of counters. */
export const HISTOGRAM_BUCKETS = LINEAR_LIMIT + OCTAVES * SUB_BUCKETS;
const MAX_MICROS = 2 ** 31 - 1;

/** The bucket of `micros` (a non-negative integer below 2^31). */
function bucketOf(micros: number): number {
  if (micros < LINEAR_LIMIT) return micros;
  const exponent = 31 - Math.clz32(micros); // 8 and up
  const sub = (micros >>> (exponent - 7)) - SUB_BUCKETS;
  return LINEAR_LIMIT + (exponent - 8) * SUB_BUCKETS + sub;
}

/** The middle of bucket `index`, in µs. */
function bucketValue(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const octave = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS);
  const sub = (index - LINEAR_LIMIT) % SUB_BUCKETS;
  const shift = octave + 1; // exponent - 7
  const low = (SUB_BUCKETS + sub) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

/** Percentiles of a histogram, in ms. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Samples below zero (clock skew between processes), counted as 0. */
  readonly negative: number;
}

/** A mergeable latency histogram. Record in ms; percentiles come back in ms. */
export class Histogram {
  readonly #counts = new Float64Array(HISTOGRAM_BUCKETS);
  #count = 0;
  #sumMicros = 0;
  #maxMicros = 0;
  #negative = 0;

  /** Records one latency in ms (negative values are clock skew: counted, and recorded as 0). */
  record(ms: number): void {
    let micros = Math.round(ms * 1000);
    if (micros < 0) {
      this.#negative++;
      micros = 0;
    } else if (micros > MAX_MICROS) micros = MAX_MICROS;
    this.#counts[bucketOf(micros)]!++;
    this.#count++;
    this.#sumMicros += micros;
    if (micros > this.#maxMicros) this.#maxMicros = micros;
  }

  get count(): number {
    return this.#count;
  }

  /** Forgets every sample. */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sumMicros = 0;
    this.#maxMicros = 0;
    this.#negative = 0;
  }

  /** The non-empty buckets and totals, small enough for IPC. */
  toJSON(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      const n = this.#counts[i]!;
      if (n > 0) buckets.push([i, n]);
    }
    return {
      buckets,
      count: this.#count,
      sumMicros: this.#sumMicros,
      maxMicros: this.#maxMicros,
      negative: this.#negative,
    };
  }

  /** Adds another histogram's samples (from {@link Histogram.toJSON}). */
  merge(snapshot: HistogramSnapshot): void {
    for (const [index, n] of snapshot.buckets) this.#counts[index]! += n;
    this.#count += snapshot.count;
    this.#sumMicros += snapshot.sumMicros;
    this.#negative += snapshot.negative;
    if (snapshot.maxMicros > this.#maxMicros) this.#maxMicros = snapshot.maxMicros;
  }

  /** The nearest-rank percentile `p` (0 to 100) in ms, within 0.8%; NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    if (p >= 100) return this.#maxMicros / 1000;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(bucketValue(i), this.#maxMicros) / 1000;
    }
    return this.#maxMicros / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.#count,
      mean: this.#count === 0 ? Number.NaN : this.#sumMicros / this.#count / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.percentile(100),
      negative: this.#negative,
    };
  }
}

/** A histogram as sent over IPC: `[bucket, count]` pairs and the totals. */
export interface HistogramSnapshot {
  readonly buckets: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sumMicros: number;
  readonly maxMicros: number;
  readonly negative: number;
}
