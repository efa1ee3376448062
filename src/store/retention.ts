/**
 * Retention: how much history a store keeps, with defaults that keep disk and
 * memory bounded. The latest event of each topic (retained state) is kept
 * whatever its age, up to a number of topics.
 */
import type { RetentionPolicy } from './store.js';

/** Events kept by a durable store: a day of 1 update per second, and then some. */
export const DEFAULT_MAX_EVENTS = 100_000;
/** Age past which events are pruned by a durable store: a week, beyond any screen's outage. */
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** Most topics whose latest event is retained; the least recently updated are dropped first. */
export const DEFAULT_MAX_RETAINED_TOPICS = 100_000;

/** The default retention of durable stores. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  maxEvents: DEFAULT_MAX_EVENTS,
  maxAgeMs: DEFAULT_MAX_AGE_MS,
};
