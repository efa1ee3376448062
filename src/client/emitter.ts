/**
 * A small typed event emitter for the client's classes. A listener that
 * throws does not break the emitter or the connection that called it: its
 * error is rethrown on a fresh task, where the page reports it as uncaught
 * (console, `window.onerror`), so it is never swallowed.
 */

/** A listener for values of type `T`. */
export type Listener<T> = (value: T) => void;

/** Emits the events of `Events`: a map from event name to the value passed to listeners. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Calls `listener` with each `type` event; returns a function that removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      this.#listeners.get(type)?.delete(listener as Listener<never>);
    };
  }

  /** Calls every `type` listener with `value`, in the order they were added. */
  emit<K extends keyof Events>(type: K, value: Events[K]): void {
    const set = this.#listeners.get(type);
    if (set === undefined) return;
    for (const listener of [...set] as Listener<Events[K]>[]) {
      try {
        listener(value);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
