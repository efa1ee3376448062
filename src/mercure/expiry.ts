/**
 * A timer wheel for deadlines such as token expiry: one timer for every
 * subscriber, never one each. Deadlines fall into one-second slots; the timer
 * ticks once a second while any deadline is pending and expires every item
 * whose slot has come. Adding and removing an item cost O(1).
 */

/** Slot width: token expiry (`exp`) is given in whole seconds anyway. */
export const EXPIRY_RESOLUTION_MS = 1000;

/** Calls `onExpire` for each item once its deadline has passed. */
export class ExpiryWheel<T> {
  readonly #onExpire: (item: T) => void;
  readonly #slotOf = new Map<T, number>();
  readonly #slots = new Map<number, Set<T>>();
  #timer: NodeJS.Timeout | undefined;
  #done = 0;

  constructor(onExpire: (item: T) => void) {
    this.#onExpire = onExpire;
  }

  /** Items waiting for their deadline. */
  get size(): number {
    return this.#slotOf.size;
  }

  /** Expires `item` at `deadline` (ms since the epoch), at most one slot late. */
  add(item: T, deadline: number): void {
    this.remove(item);
    const slot = Math.ceil(deadline / EXPIRY_RESOLUTION_MS);
    if (slot * EXPIRY_RESOLUTION_MS <= Date.now()) {
      queueMicrotask(() => this.#onExpire(item));
      return;
    }
    let items = this.#slots.get(slot);
    if (items === undefined) {
      items = new Set();
      this.#slots.set(slot, items);
    }
    items.add(item);
    this.#slotOf.set(item, slot);
    if (this.#timer === undefined) {
      this.#done = Math.floor(Date.now() / EXPIRY_RESOLUTION_MS);
      this.#timer = setInterval(() => this.#tick(), EXPIRY_RESOLUTION_MS);
      this.#timer.unref();
    }
  }

  /** Forgets `item` (its connection closed first). */
  remove(item: T): void {
    const slot = this.#slotOf.get(item);
    if (slot === undefined) return;
    this.#slotOf.delete(item);
    const items = this.#slots.get(slot);
    items?.delete(item);
    if (items?.size === 0) this.#slots.delete(slot);
    if (this.#slotOf.size === 0) this.#stop();
  }

  /** Stops the timer and forgets every item. */
  close(): void {
    this.#slotOf.clear();
    this.#slots.clear();
    this.#stop();
  }

  #tick(): void {
    const now = Math.floor(Date.now() / EXPIRY_RESOLUTION_MS);
    // After a long pause (a suspended laptop) walk the pending slots, not every second missed.
    const due =
      now - this.#done > this.#slots.size
        ? [...this.#slots.keys()].filter((slot) => slot <= now).sort((a, b) => a - b)
        : Array.from({ length: now - this.#done }, (_, i) => this.#done + 1 + i);
    this.#done = now;
    for (const slot of due) {
      const items = this.#slots.get(slot);
      if (items === undefined) continue;
      this.#slots.delete(slot);
      for (const item of items) {
        this.#slotOf.delete(item);
        this.#onExpire(item);
      }
    }
    if (this.#slotOf.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
