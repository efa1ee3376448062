/** The automaton engine: a built Thompson automaton, simulated state-set by state-set. */
import {
  type Builder,
  CLASS,
  COUNT_ADD,
  COUNT_KEEP,
  LITERAL,
  MATCH,
  RESET,
  SPLIT,
} from './builder.js';
import { CHARS } from './chars.js';

/**
 * Largest ε-closure precomputed. Larger ones are walked at run time, where
 * states shared between closures are visited once per step: a step then
 * costs at most the automaton's size, not active states × closure size.
 */
const MAX_PRECOMPUTED_CLOSURE = 16;

/** The consuming and final states reachable from `entry` by ε-moves, or undefined if too many or through a counter reset. */
function epsilonClosure(b: Builder, entry: number): number[] | undefined {
  const found: number[] = [];
  const visited = new Set<number>();
  const stack = [entry];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (visited.has(s)) continue;
    visited.add(s);
    const kind = b.kind[s]!;
    if (kind === RESET) return undefined;
    if (kind === SPLIT) stack.push(b.out2[s]!, b.out1[s]!);
    else if (found.push(s) > MAX_PRECOMPUTED_CLOSURE) return undefined;
  }
  return found;
}

/** A built automaton and the scratch space of its simulation (matching is synchronous, so one set suffices). */
export class Automaton {
  readonly #kind: Uint8Array;
  readonly #arg: Int32Array;
  readonly #count: Uint8Array;
  readonly #limit: Int32Array;
  readonly #out1: Int32Array;
  readonly #out2: Int32Array;
  readonly #start: number;
  // Generation stamps and best prefix count per state, for the sparse-set ε-closure.
  readonly #seen: Uint32Array;
  readonly #best: Int32Array;
  readonly #slot: Int32Array;
  #stamp = 0;
  #states: Int32Array;
  #counts: Int32Array;
  #nextStates: Int32Array;
  #nextCounts: Int32Array;
  readonly #stack: number[] = [];
  // Precomputed ε-closures of small, counter-free ε-states: [from, to) in #closure.
  readonly #closureFrom: Int32Array;
  readonly #closureTo: Int32Array;
  readonly #closure: Int32Array;

  constructor(b: Builder, start: number) {
    this.#kind = Uint8Array.from(b.kind);
    this.#arg = Int32Array.from(b.arg);
    this.#count = Uint8Array.from(b.count);
    this.#limit = Int32Array.from(b.limit);
    this.#out1 = Int32Array.from(b.out1);
    this.#out2 = Int32Array.from(b.out2);
    this.#start = start;
    const n = b.kind.length;
    this.#seen = new Uint32Array(n);
    this.#best = new Int32Array(n);
    this.#slot = new Int32Array(n);
    this.#states = new Int32Array(n);
    this.#counts = new Int32Array(n);
    this.#nextStates = new Int32Array(n);
    this.#nextCounts = new Int32Array(n);
    this.#closureFrom = new Int32Array(n).fill(-1);
    this.#closureTo = new Int32Array(n);
    const pool: number[] = [];
    for (let s = 0; s < n; s++) {
      const target = b.out1[s]!;
      if (b.kind[s]! > CLASS || b.kind[target]! <= CLASS) continue;
      if (this.#closureFrom[target] !== -1) continue;
      const closure = epsilonClosure(b, target);
      if (closure === undefined) continue;
      this.#closureFrom[target] = pool.length;
      pool.push(...closure);
      this.#closureTo[target] = pool.length;
    }
    this.#closure = Int32Array.from(pool);
  }

  #newGeneration(): void {
    if (this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 0;
    }
    this.#stamp++;
  }

  /** Adds the ε-closure of `entry` to the next state list; returns its new length. */
  #close(
    entry: number,
    count: number,
    states: Int32Array,
    counts: Int32Array,
    length: number,
  ): number {
    const stack = this.#stack;
    const stamp = this.#stamp;
    stack.push(entry, count);
    while (stack.length > 0) {
      const c = stack.pop()!;
      const s = stack.pop()!;
      const fresh = this.#seen[s] !== stamp;
      // A lower prefix count dominates: it leaves more room for what follows.
      if (!fresh && this.#best[s]! <= c) continue;
      this.#seen[s] = stamp;
      this.#best[s] = c;
      const kind = this.#kind[s]!;
      if (kind === SPLIT) stack.push(this.#out2[s]!, c, this.#out1[s]!, c);
      else if (kind === RESET) stack.push(this.#out1[s]!, 0);
      else {
        if (fresh) {
          this.#slot[s] = length;
          states[length++] = s;
        }
        counts[this.#slot[s]!] = c;
      }
    }
    return length;
  }

  /** Adds a consuming (or final) state to the next list, keeping its lowest prefix count. */
  #put(
    s: number,
    c: number,
    stamp: number,
    states: Int32Array,
    counts: Int32Array,
    length: number,
  ): number {
    if (this.#seen[s] !== stamp) {
      this.#seen[s] = stamp;
      this.#best[s] = c;
      this.#slot[s] = length;
      states[length] = s;
      counts[length] = c;
      return length + 1;
    }
    if (this.#best[s]! > c) {
      this.#best[s] = c;
      counts[this.#slot[s]!] = c;
    }
    return length;
  }

  /** True when `text.slice(from, to)` is in the automaton's language. */
  run(text: string, from: number, to: number): boolean {
    const kinds = this.#kind;
    const args = this.#arg;
    const out1 = this.#out1;
    const closure = this.#closure;
    const closureFrom = this.#closureFrom;
    const closureTo = this.#closureTo;
    this.#newGeneration();
    let length = this.#close(this.#start, 0, this.#states, this.#counts, 0);
    for (let i = from; i < to; i++) {
      const ch = text.charCodeAt(i);
      const bits = ch < 128 ? CHARS[ch]! : 0;
      const states = this.#states;
      const counts = this.#counts;
      const nextStates = this.#nextStates;
      const nextCounts = this.#nextCounts;
      this.#newGeneration();
      const stamp = this.#stamp;
      let next = 0;
      for (let j = 0; j < length; j++) {
        const s = states[j]!;
        const kind = kinds[s]!;
        if (kind === LITERAL) {
          if (args[s] !== ch) continue;
        } else if (kind === CLASS) {
          if ((bits & args[s]!) === 0) continue;
        } else continue; // MATCH reads nothing
        const mode = this.#count[s]!;
        let c = 0;
        if (mode === COUNT_KEEP) c = counts[j]!;
        else if (mode === COUNT_ADD) {
          c = counts[j]! + 1;
          if (c > this.#limit[s]!) continue;
        }
        const target = out1[s]!;
        if (kinds[target]! <= CLASS) {
          // Fast path: the successor reads a character itself.
          next = this.#put(target, c, stamp, nextStates, nextCounts, next);
          continue;
        }
        const from = closureFrom[target]!;
        if (from < 0) {
          next = this.#close(target, c, nextStates, nextCounts, next);
          continue;
        }
        const to = closureTo[target]!;
        for (let k = from; k < to; k++) {
          next = this.#put(closure[k]!, c, stamp, nextStates, nextCounts, next);
        }
      }
      if (next === 0) return false;
      length = next;
      this.#states = nextStates;
      this.#counts = nextCounts;
      this.#nextStates = states;
      this.#nextCounts = counts;
    }
    for (let j = 0; j < length; j++) if (kinds[this.#states[j]!] === MATCH) return true;
    return false;
  }
}
