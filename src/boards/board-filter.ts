/**
 * Which stored updates belong to a board: those whose topics (canonical or
 * alternate) match one of the board's selectors, and that are public. A
 * board is a public page: it shows what an anonymous subscriber receives.
 */
import type { StoredEvent } from '../engine/event.js';
import { compileSelector, matchesAny } from '../mercure/topic-selector.js';
import type { StoreFilter } from '../store/store.js';
import type { Board } from './types.js';

/** The filter of `board`'s updates, compiled once. */
export function boardFilter(board: Board): StoreFilter {
  const matchers = board.topics.map((topic) => compileSelector(topic));
  return (event: StoredEvent) => event.private !== true && matchesAny(matchers, event.topics);
}

/** A filter accepting what any of `filters` accepts. */
export function anyOf(filters: readonly StoreFilter[]): StoreFilter {
  return (event) => filters.some((filter) => filter(event));
}
