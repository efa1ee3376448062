/**
 * The demo source: a hall of workplaces (CNC 0 to CNC 19 by default)
 * changing states, operators, orders and downtime reasons at a realistic
 * pace (see `hall-vocabulary.ts`). Each change is published at once, and
 * every workplace is republished every 10 s like the original service, with
 * `since` unchanged unless its state changed. `andon serve --demo` runs it.
 *
 * One timer: it fires at the next change or republish, publishes what is
 * due one update at a time, and only then is set again, so a slow store
 * delays the hall instead of queueing updates without bound.
 */
import { AndonError } from '../errors.js';
import { Hall } from './hall.js';
import {
  type Publish,
  SILENT_LOGGER,
  type Source,
  type SourceHealth,
  type SourceLogger,
} from './source.js';

/** Options of {@link createSimulator}; every one has a default. */
export interface SimulatorOptions {
  /** Name in logs and `/healthz`. Default `demo`. */
  readonly name?: string;
  /** Seed of the hall; the same seed and clock give the same hall. Default: random. */
  readonly seed?: number;
  /** Hall minutes per real minute (1 is real time; tests use hundreds). Default 1, at most {@link MAX_SPEED}. */
  readonly speed?: number;
  /** Number of workplaces. Default 20, at most {@link MAX_WORKPLACES}. */
  readonly workplaces?: number;
  /** Ms between republishes of every workplace. Default 10 000 (the original's pace); 0 turns them off. */
  readonly republishEvery?: number;
  /** Topic of a workplace, `{id}` replaced by its id (`cnc-7`). Default {@link DEMO_TOPIC_TEMPLATE}. */
  readonly topic?: string;
  /** The clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Where problems are logged. Default: nowhere. */
  readonly logger?: SourceLogger;
}

/** Topics of the demo hall's workplaces: `https://andon.example/workplaces/cnc-7`. */
export const DEMO_TOPIC_TEMPLATE = 'https://andon.example/workplaces/{id}';

/** The original service republished every workplace this often. */
export const DEFAULT_REPUBLISH_MS = 10_000;

/** At 10 000x a 2-minute tool change lasts 12 ms: faster than any screen shows, so higher is a mistake. */
export const MAX_SPEED = 10_000;

/** A board of more tiles than this is unreadable on a wall screen. */
export const MAX_WORKPLACES = 500;

/** setTimeout's largest delay; a hall with nothing due for longer re-checks then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function invalidOption(name: string, message: string): AndonError {
  return new AndonError('ANDON_INVALID_OPTION', `createSimulator: ${name} ${message}`);
}

/** Creates the demo hall simulator (not started). Throws `ANDON_INVALID_OPTION` for a bad option. */
export function createSimulator(options: SimulatorOptions = {}): Source {
  const speed = options.speed ?? 1;
  if (!(speed > 0 && speed <= MAX_SPEED)) {
    throw invalidOption('speed', `must be above 0 and at most ${MAX_SPEED}; got ${speed}.`);
  }
  const size = options.workplaces ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_WORKPLACES) {
    throw invalidOption(
      'workplaces',
      `must be a whole number from 1 to ${MAX_WORKPLACES}; got ${size}.`,
    );
  }
  const republishEvery = options.republishEvery ?? DEFAULT_REPUBLISH_MS;
  if (!(republishEvery >= 0 && Number.isFinite(republishEvery))) {
    throw invalidOption(
      'republishEvery',
      `must be 0 (off) or a number of ms; got ${republishEvery}.`,
    );
  }
  const topic = options.topic ?? DEMO_TOPIC_TEMPLATE;
  if (!topic.includes('{id}')) throw invalidOption('topic', `must contain {id}; got "${topic}".`);
  return new Simulator({
    name: options.name ?? 'demo',
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
    speed,
    workplaces: size,
    republishEvery,
    topic,
    now: options.now ?? (() => Date.now()),
    logger: options.logger ?? SILENT_LOGGER,
  });
}

type Settings = {
  readonly [K in keyof SimulatorOptions]-?: Exclude<SimulatorOptions[K], undefined>;
};

class Simulator implements Source {
  readonly name: string;
  readonly #settings: Settings;
  #hall: Hall | undefined;
  #publish: Publish | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  #nextRepublish = Number.POSITIVE_INFINITY;
  /** The first publish error of a run of failures, or undefined while publishes succeed. */
  #failing: { readonly since: number; readonly message: string } | undefined;

  constructor(settings: Settings) {
    this.name = settings.name;
    this.#settings = settings;
  }

  start(publish: Publish): void {
    if (this.#publish !== undefined) throw new Error(`Source ${this.name} is already started.`);
    const { seed, speed, workplaces: size, now } = this.#settings;
    this.#publish = publish;
    const start = now();
    this.#hall = new Hall({ seed, start, speed, size });
    this.#settings.logger.info(
      { source: this.name, seed, speed, workplaces: size },
      `source ${this.name}: demo hall of ${size} workplaces started`,
    );
    // The first tick publishes every workplace: a board opened now is complete at once.
    this.#nextRepublish = start;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  health(): SourceHealth {
    if (this.#failing !== undefined) {
      return {
        ok: false,
        detail: `publishes failing since ${new Date(this.#failing.since).toISOString()}: ${this.#failing.message}`,
      };
    }
    return { ok: true, detail: `demo hall of ${this.#settings.workplaces} workplaces` };
  }

  #schedule(): void {
    if (this.#stopped || this.#hall === undefined) return;
    const due = Math.min(this.#hall.nextChangeAt(), this.#nextRepublish);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, due - this.#settings.now()));
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().then(() => this.#schedule());
    }, delay);
  }

  async #tick(): Promise<void> {
    const hall = this.#hall;
    if (hall === undefined) return;
    const now = this.#settings.now();
    const changed = hall.advance(now);
    if (now >= this.#nextRepublish) {
      // Republish after the changes are applied: each workplace once, with its latest data.
      const every = this.#settings.republishEvery;
      this.#nextRepublish = every === 0 ? Number.POSITIVE_INFINITY : now + every;
      await this.#publishAll();
      return;
    }
    for (const index of changed) await this.#publishTile(index);
  }

  async #publishAll(): Promise<void> {
    const hall = this.#hall;
    for (let i = 0; hall !== undefined && i < hall.size; i++) await this.#publishTile(i);
  }

  async #publishTile(index: number): Promise<void> {
    const hall = this.#hall;
    const publish = this.#publish;
    if (hall === undefined || publish === undefined || this.#stopped) return;
    const id = hall.ids[index] ?? String(index);
    try {
      await publish({
        topics: [this.#settings.topic.replaceAll('{id}', id)],
        data: JSON.stringify(hall.tile(index)),
      });
      if (this.#failing !== undefined) {
        this.#settings.logger.info({ source: this.name }, `source ${this.name}: publishing again`);
        this.#failing = undefined;
      }
    } catch (error) {
      // Logged once per run of failures: the next republish repairs every tile.
      if (this.#failing === undefined) {
        const message = error instanceof Error ? error.message : String(error);
        this.#failing = { since: this.#settings.now(), message };
        this.#settings.logger.warn(
          { source: this.name, err: error },
          `source ${this.name}: publish failed (${message}); retrying at the next change or republish`,
        );
      }
    }
  }
}
