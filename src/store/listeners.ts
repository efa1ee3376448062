/**
 * Feeding a store's watchers: the same for every store. A listener that
 * throws is a bug of its own; it must not stop the others being fed, nor turn
 * a kept append into a failed one, so its error is rethrown outside the call.
 */
import type { StoredEvent } from '../engine/event.js';
import type { StoreListener } from './store.js';

/** Calls every listener with `events`, isolating each from the others' errors. */
export function notifyListeners(
  listeners: Iterable<StoreListener>,
  events: readonly StoredEvent[],
): void {
  for (const listener of listeners) {
    try {
      listener(events);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
