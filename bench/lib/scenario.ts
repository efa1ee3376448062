/**
 * The shape of a benchmark scenario: what `run.ts` hands it and what it hands
 * back. A scenario measures one thing, stops by itself, and returns tables
 * (for people) and data (raw numbers, for the JSON results).
 */
import type { Table } from './table.js';

/** What a scenario gets from the runner. */
export interface BenchContext {
  /** True with `--full`: longer runs and the full data sizes. */
  readonly full: boolean;
  /** A directory for the scenario's files, on the same disk as the repository (see `scratch.ts`). */
  readonly scratch: string;
  /** Prints a progress line (to stderr, so stdout keeps only the tables). */
  log(line: string): void;
}

/** What a scenario measured. */
export interface ScenarioResult {
  /** Tables of formatted figures, printed and written to the markdown results. */
  readonly tables: readonly Table[];
  /** Sentences a reader needs to read the tables right (what was measured, the caveats). */
  readonly notes: readonly string[];
  /** The raw measurements, written to the JSON results. */
  readonly data: unknown;
}

/** One benchmark scenario, run by name from `bench/run.ts`. */
export interface Scenario {
  /** Its name on the command line (`--only store-commit`), the file name under `scenarios/`. */
  readonly name: string;
  /** A heading for the results. */
  readonly title: string;
  /** One paragraph: what it measures and how. */
  readonly description: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}
