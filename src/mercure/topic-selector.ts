/**
 * Mercure topic selectors (draft-dunglas-mercure-07): which topics a
 * subscription, or a token's `mercure.subscribe` / `mercure.publish` claim,
 * covers.
 *
 * A selector matches a topic when, in this order: the selector is `*`; the
 * selector and the topic are the same string (which lets a URI Template be
 * compared with itself); the selector is a valid URI Template (RFC 6570) of
 * which the topic is a possible expansion. Template semantics and costs are
 * documented in `uri-template.ts`.
 *
 * Compile a selector once per subscription (or through a shared
 * {@link SelectorCache}), then call the matcher per event: `*` is a
 * constant, a selector without `{` is a string comparison, and only real
 * templates run an engine.
 */
import { AndonError } from '../errors.js';
import { compileUriTemplate, MAX_TEMPLATE_LENGTH } from './uri-template.js';

/** Tells whether an update's topic is covered by a compiled selector. */
export interface TopicMatcher {
  (topic: string): boolean;
  /**
   * How it matches: `all` (`*`), `exact` (string comparison), `regexp` (a
   * linear regular expression) or `automaton` (an ambiguous template, linear
   * but costlier; subscriptions may hold only a few, see
   * {@link MAX_AMBIGUOUS_SELECTORS}).
   */
  readonly engine: 'all' | 'exact' | 'regexp' | 'automaton';
}

/**
 * Most ambiguous templates (those matched by the automaton) in one
 * subscription. Each costs up to a few milliseconds per topic on hostile
 * input; a handful bounds what one subscriber can cost per update.
 */
export const MAX_AMBIGUOUS_SELECTORS = 4;

function matcher(engine: TopicMatcher['engine'], test: (topic: string) => boolean): TopicMatcher {
  return Object.assign(test, { engine });
}

/** The reserved selector that matches every topic. */
export const MATCH_ALL_SELECTOR = '*';
/**
 * Longest selector accepted, template or not: selectors arrive in query
 * strings and token claims, where ~2 KB is the de-facto URL limit; equal to
 * the template limit so a selector is never refused for being a template.
 */
export const MAX_SELECTOR_LENGTH = MAX_TEMPLATE_LENGTH;
/** Default capacity of a {@link SelectorCache}: well above the distinct selectors of a busy hub, at a few KB each at most. */
export const DEFAULT_SELECTOR_CACHE_SIZE = 10_000;

const matchAll: TopicMatcher = matcher('all', () => true);

/**
 * Compiles `selector` into a matcher following the four steps of the draft.
 * A string that is not a valid template matches itself only.
 *
 * @throws AndonError `ANDON_INVALID_SELECTOR` when the selector is longer than
 *   {@link MAX_SELECTOR_LENGTH}, or is a template past the limits of
 *   `uri-template.ts` (expressions, variables); the message names the limit.
 */
export function compileSelector(selector: string): TopicMatcher {
  if (selector.length > MAX_SELECTOR_LENGTH) {
    throw new AndonError(
      'ANDON_INVALID_SELECTOR',
      `A topic selector has ${selector.length} characters: the limit is ${MAX_SELECTOR_LENGTH}. Use a shorter selector.`,
    );
  }
  if (selector === MATCH_ALL_SELECTOR) return matchAll;
  const exact = matcher('exact', (topic) => topic === selector);
  if (!selector.includes('{')) return exact;
  const template = compileUriTemplate(selector);
  if (template === undefined || template.engine === 'exact') return exact;
  return matcher(template.engine, (topic) => topic === selector || template.matches(topic));
}

/** True when any of `topics` (an update's topic and alternates) matches any of `matchers`. */
export function matchesAny(matchers: readonly TopicMatcher[], topics: readonly string[]): boolean {
  for (const topic of topics) {
    for (const matches of matchers) if (matches(topic)) return true;
  }
  return false;
}

/** Options of {@link SelectorCache}. */
export interface SelectorCacheOptions {
  /**
   * Most compiled selectors kept; the least recently used is dropped past
   * it. Default {@link DEFAULT_SELECTOR_CACHE_SIZE}; must be a positive integer.
   */
  readonly maxEntries?: number;
}

/**
 * A bounded least-recently-used cache of compiled selectors, so that the
 * many subscribers sharing a selector compile it once. Refused selectors
 * are not cached: each `get` throws again.
 */
export class SelectorCache {
  readonly #max: number;
  // Map keeps insertion order: the first key is the least recently used.
  readonly #entries = new Map<string, TopicMatcher>();

  constructor(options: SelectorCacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_SELECTOR_CACHE_SIZE;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new AndonError(
        'ANDON_INVALID_OPTION',
        `SelectorCache maxEntries must be a positive integer, got ${String(max)}.`,
      );
    }
    this.#max = max;
  }

  /** Number of compiled selectors held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The compiled matcher of `selector`, compiled now if not cached.
   *
   * @throws AndonError `ANDON_INVALID_SELECTOR`, as {@link compileSelector}.
   */
  get(selector: string): TopicMatcher {
    let matcher = this.#entries.get(selector);
    if (matcher !== undefined) {
      this.#entries.delete(selector);
    } else {
      matcher = compileSelector(selector);
      if (this.#entries.size >= this.#max) {
        this.#entries.delete(this.#entries.keys().next().value as string);
      }
    }
    this.#entries.set(selector, matcher);
    return matcher;
  }
}
