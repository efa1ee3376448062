/**
 * The demo hall as a model: workplaces CNC 0 to CNC n-1 moving between
 * Production, Downtime and Poweroff, with operators, orders and downtime
 * reasons. Pure: no timers and no clock of its own. The simulator asks it
 * when the next change is due and advances it to the present; the same seed
 * and start time give the same hall, however the advancing is sliced.
 */
import {
  AFTER_DOWNTIME,
  AFTER_PRODUCTION,
  DOWNTIME_REASONS,
  type HallState,
  INITIAL_STATE,
  type Minutes,
  OPERATORS,
  ORDER_PREFIX,
  POWEROFF,
  PRODUCTION_RUN,
  SETUP_REASON,
} from './hall-vocabulary.js';
import { Random } from './random.js';

/** What a tile of the demo board shows: the JSON data of a workplace's update. */
export interface HallTile {
  /** `CNC 7`. */
  readonly name: string;
  readonly state: HallState;
  /** Who works there; null while the workplace is powered off. */
  readonly operator: string | null;
  /** The order in work, e.g. `ZK-118`. */
  readonly order: string | null;
  /** The downtime reason; null unless the state is Downtime. */
  readonly reason: string | null;
  /** When the current state began (ISO 8601, UTC). Changes only when the state does. */
  readonly since: string;
}

/** Options of {@link Hall}. */
export interface HallOptions {
  /** Seed of the random sequence. */
  readonly seed: number;
  /** The hall's start, in ms since the epoch: workplaces are already mid-state then. */
  readonly start: number;
  /** Hall minutes per real minute: 1 is real time, 60 makes an hour pass in a minute. */
  readonly speed: number;
  /** Number of workplaces. */
  readonly size: number;
}

interface Workplace {
  readonly name: string;
  state: HallState;
  operator: string | null;
  order: string | null;
  reason: string | null;
  /** When the state began, ms. */
  since: number;
  /** When the current stretch ends and the next change is drawn, ms. */
  until: number;
}

const MINUTE_MS = 60_000;

/** The hall model. */
export class Hall {
  /** Workplace ids, `cnc-0` to `cnc-{size-1}`, by index. */
  readonly ids: readonly string[];
  readonly #random: Random;
  readonly #speed: number;
  readonly #workplaces: Workplace[] = [];
  #orders: number;

  constructor(options: HallOptions) {
    this.#random = new Random(options.seed);
    this.#speed = options.speed;
    this.#orders = this.#random.integer(100, 899);
    this.ids = Array.from({ length: options.size }, (_, i) => `cnc-${i}`);
    for (let i = 0; i < options.size; i++) {
      const state = this.#random.weighted(INITIAL_STATE);
      const reason = state === 'Downtime' ? this.#reason() : null;
      const length = this.#length(
        state === 'Production'
          ? PRODUCTION_RUN
          : state === 'Poweroff'
            ? POWEROFF
            : this.#reasonMinutes(reason),
      );
      // Part of the stretch has passed already: a hall is never all fresh at once.
      const since = options.start - Math.round(length * this.#random.next());
      this.#workplaces.push({
        name: `CNC ${i}`,
        state,
        operator: state === 'Poweroff' ? null : this.#freeOperator(),
        order: this.#nextOrder(),
        reason,
        since,
        until: since + length,
      });
    }
  }

  /** Number of workplaces. */
  get size(): number {
    return this.#workplaces.length;
  }

  /** What the workplace at `index` shows now. */
  tile(index: number): HallTile {
    const w = this.#at(index);
    return {
      name: w.name,
      state: w.state,
      operator: w.operator,
      order: w.order,
      reason: w.reason,
      since: new Date(w.since).toISOString(),
    };
  }

  /** When the next change is due, in ms since the epoch (Infinity for an empty hall). */
  nextChangeAt(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const w of this.#workplaces) next = Math.min(next, w.until);
    return next;
  }

  /**
   * Applies every change due up to `now`, in the order they fall due (ties by
   * index), each at its own due time. Returns the indexes of the workplaces
   * whose tile changed, ascending.
   */
  advance(now: number): number[] {
    const changed = new Set<number>();
    for (;;) {
      let index = -1;
      let due = Number.POSITIVE_INFINITY;
      this.#workplaces.forEach((w, i) => {
        if (w.until < due) [index, due] = [i, w.until];
      });
      if (index === -1 || due > now) break;
      this.#change(this.#at(index), due);
      changed.add(index);
    }
    return [...changed].sort((a, b) => a - b);
  }

  /** Ends the current stretch of `w` at `at` and draws what comes next. */
  #change(w: Workplace, at: number): void {
    if (w.state === 'Production') {
      const next = this.#random.weighted(AFTER_PRODUCTION);
      if (next === 'downtime') this.#enter(w, 'Downtime', at, this.#reason());
      else if (next === 'poweroff') this.#enter(w, 'Poweroff', at, null);
      else {
        if (next === 'nextOrder') w.order = this.#nextOrder();
        else w.operator = this.#freeOperator();
        w.until = at + this.#length(PRODUCTION_RUN);
      }
    } else if (w.state === 'Downtime') {
      if (this.#random.weighted(AFTER_DOWNTIME) === 'poweroff')
        this.#enter(w, 'Poweroff', at, null);
      else {
        if (w.reason === SETUP_REASON) w.order = this.#nextOrder();
        this.#enter(w, 'Production', at, null);
      }
    } else {
      // Powering on: a new shift comes to the machine, which needs setting up half the time.
      w.operator = this.#freeOperator();
      if (this.#random.next() < 0.5) this.#enter(w, 'Downtime', at, SETUP_REASON);
      else this.#enter(w, 'Production', at, null);
    }
  }

  #enter(w: Workplace, state: HallState, at: number, reason: string | null): void {
    w.state = state;
    w.reason = reason;
    w.since = at;
    if (state === 'Poweroff') w.operator = null;
    const minutes =
      state === 'Production'
        ? PRODUCTION_RUN
        : state === 'Poweroff'
          ? POWEROFF
          : this.#reasonMinutes(reason);
    w.until = at + this.#length(minutes);
  }

  #at(index: number): Workplace {
    const w = this.#workplaces[index];
    if (w === undefined) throw new RangeError(`The hall has no workplace ${index}.`);
    return w;
  }

  /** A stretch of `minutes` in real ms at the hall's speed; at least 1 ms so time always moves. */
  #length(minutes: Minutes): number {
    return Math.max(
      1,
      Math.round((this.#random.between(minutes.min, minutes.max) * MINUTE_MS) / this.#speed),
    );
  }

  #reason(): string {
    const weights: Record<string, number> = {};
    for (const [reason, { weight }] of Object.entries(DOWNTIME_REASONS)) weights[reason] = weight;
    return this.#random.weighted(weights);
  }

  #reasonMinutes(reason: string | null): Minutes {
    const entry = reason === null ? undefined : DOWNTIME_REASONS[reason];
    if (entry === undefined) throw new RangeError(`Unknown downtime reason ${String(reason)}.`);
    return entry.minutes;
  }

  #nextOrder(): string {
    this.#orders += 1;
    return `${ORDER_PREFIX}${this.#orders}`;
  }

  /** An operator not at another workplace now (any, if all are busy). */
  #freeOperator(): string {
    const busy = new Set(this.#workplaces.map((w) => w.operator));
    const free = OPERATORS.filter((name) => !busy.has(name));
    return this.#random.pick(free.length > 0 ? free : OPERATORS);
  }
}
