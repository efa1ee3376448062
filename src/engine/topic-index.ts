/**
 * The topic index: subscribers that select a finite set of exact topics (the
 * common case: a screen follows its workplace, a page its resource), found
 * from an event's topics by a map lookup instead of by running every
 * subscriber's filter. Dispatching a batch then costs O(topics in the batch
 * + matching subscribers), whatever the number of subscribers on other topics.
 *
 * Subscribers selecting `*`, URI templates or arbitrary predicates are not
 * indexed: the engine runs their filter for every event, as before.
 */
import type { StoredEvent } from './event.js';
import type { Subscriber } from './subscriber.js';

/** Called once per matching subscriber with its candidate events of a batch, in position order, without duplicates. */
export type IndexVisitor = (subscriber: Subscriber, events: readonly StoredEvent[]) => void;

/** Subscribers by the exact topics they select. */
export class TopicIndex {
  readonly #byTopic = new Map<string, Set<Subscriber>>();

  /** Number of distinct topics with at least one subscriber. */
  get topics(): number {
    return this.#byTopic.size;
  }

  /** Indexes `subscriber` under each of its {@link Subscriber.topics}. */
  add(subscriber: Subscriber): void {
    for (const topic of subscriber.topics ?? []) {
      let bucket = this.#byTopic.get(topic);
      if (bucket === undefined) {
        bucket = new Set();
        this.#byTopic.set(topic, bucket);
      }
      bucket.add(subscriber);
    }
  }

  /** Forgets `subscriber`; topics left without subscribers are dropped, so the map tracks live topics only. */
  remove(subscriber: Subscriber): void {
    for (const topic of subscriber.topics ?? []) {
      const bucket = this.#byTopic.get(topic);
      if (bucket === undefined) continue;
      bucket.delete(subscriber);
      if (bucket.size === 0) this.#byTopic.delete(topic);
    }
  }

  /** Forgets every subscriber. */
  clear(): void {
    this.#byTopic.clear();
  }

  /**
   * Calls `visit` once for each subscriber indexed under a topic of the
   * events of `batch` (ascending by position), with the events carrying one
   * of its topics: in position order, each once, even when an event carries
   * several of the subscriber's topics. Subscribers of one topic receive the
   * same array, so their wire bytes can be built once. Liveness, position and
   * filter are the visitor's to check.
   */
  match(batch: readonly StoredEvent[], visit: IndexVisitor): void {
    const only = batch.length === 1 ? batch[0] : undefined;
    if (only !== undefined && only.topics.length === 1) {
      // The hot case, one event with one topic: no grouping needed.
      const bucket = this.#byTopic.get(only.topics[0]!);
      if (bucket !== undefined) for (const subscriber of bucket) visit(subscriber, batch);
      return;
    }
    const byTopic = this.#group(batch);
    // Subscribers indexed under several topics the batch touches: merged once all are seen.
    let several: Map<Subscriber, StoredEvent[][]> | undefined;
    for (const [topic, events] of byTopic) {
      // A visit may drop a subscriber, and with it an emptied topic.
      const bucket = this.#byTopic.get(topic);
      if (bucket === undefined) continue;
      for (const subscriber of bucket) {
        if (subscriber.topics!.length === 1) {
          visit(subscriber, events);
          continue;
        }
        several ??= new Map();
        const lists = several.get(subscriber);
        if (lists === undefined) several.set(subscriber, [events]);
        else lists.push(events);
      }
    }
    if (several === undefined) return;
    for (const [subscriber, lists] of several) {
      visit(subscriber, lists.length === 1 ? lists[0]! : mergeByPosition(lists));
    }
  }

  /** The events of `batch` by indexed topic, in position order; an event listing a topic twice appears once. */
  #group(batch: readonly StoredEvent[]): Map<string, StoredEvent[]> {
    const byTopic = new Map<string, StoredEvent[]>();
    for (const event of batch) {
      for (const topic of event.topics) {
        if (!this.#byTopic.has(topic)) continue;
        const events = byTopic.get(topic);
        if (events === undefined) byTopic.set(topic, [event]);
        else if (events[events.length - 1] !== event) events.push(event);
      }
    }
    return byTopic;
  }
}

/** The union of ascending event lists, ascending, each event once. */
export function mergeByPosition(lists: readonly (readonly StoredEvent[])[]): StoredEvent[] {
  const all = lists.flat().sort((a, b) => a.position - b.position);
  const merged: StoredEvent[] = [];
  for (const event of all) {
    if (merged[merged.length - 1] !== event) merged.push(event);
  }
  return merged;
}
