/**
 * Dispatch of one tick's batch: which subscribers get which events, and the
 * bytes each gets, in one write per subscriber.
 *
 * Subscribers come from two places. Indexed subscribers (exact topics) are
 * found through the {@link TopicIndex} from the batch's topics, so a batch
 * costs nothing for subscribers on other topics. The others are offered the
 * whole batch: those without a filter (the library's `Stream`) take it as it
 * is; those with one (`*`, templates, boards) run it on every event.
 *
 * Bytes are built once per distinct event list: a single event is its own
 * buffer, the whole batch is one buffer shared by everyone receiving it, and
 * so is each topic's share of the batch among that topic's subscribers. Only
 * a subscriber whose filter or position cut a list gets a buffer of its own.
 */
import type { StoredEvent } from './event.js';
import { concatBytes, type Subscriber } from './subscriber.js';
import type { TopicIndex } from './topic-index.js';

/** What one dispatch wrote: events counted once per subscriber, and bytes. */
export interface DispatchTotals {
  readonly deliveries: number;
  readonly bytes: number;
}

/**
 * The events of `candidates` (ascending) that `subscriber` is due: after its
 * last position and accepted by its filter. Returns `candidates` itself when
 * none is cut, so shared lists keep their shared bytes.
 */
export function selectFor(
  subscriber: Subscriber,
  candidates: readonly StoredEvent[],
): readonly StoredEvent[] {
  const after = subscriber.lastPosition;
  const filter = subscriber.filter;
  if (filter === null && (candidates[0]?.position ?? 0) > after) return candidates;
  let selected: StoredEvent[] | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const event = candidates[i]!;
    const accepted = event.position > after && (filter === null || filter(event));
    if (selected !== undefined) {
      if (accepted) selected.push(event);
    } else if (!accepted) {
      // The first event cut: from here on the subscriber gets a list of its own.
      selected = candidates.slice(0, i);
    }
  }
  return selected ?? candidates;
}

/**
 * Delivers `batch` (ascending, non-empty) to the live subscribers of
 * `unindexed` and of `index`. `drop` is called for a subscriber whose queue
 * overflowed; it may remove it from `unindexed` and `index` during the walk.
 */
export function dispatch(
  batch: readonly StoredEvent[],
  unindexed: Iterable<Subscriber>,
  index: TopicIndex,
  drop: (subscriber: Subscriber) => void,
): DispatchTotals {
  const shared = new Map<readonly StoredEvent[], Buffer>();
  let deliveries = 0;
  let bytes = 0;
  const offer = (subscriber: Subscriber, candidates: readonly StoredEvent[]): void => {
    if (!subscriber.live) return;
    const events = selectFor(subscriber, candidates);
    const first = events[0];
    if (first === undefined) return;
    let chunk: Buffer;
    if (events.length === 1) chunk = first.bytes;
    else if (events !== candidates) chunk = concatBytes(events);
    else {
      // Every list is a subsequence of the batch: one as long is the batch.
      const key = events.length === batch.length ? batch : events;
      let built = shared.get(key);
      if (built === undefined) {
        built = concatBytes(key);
        shared.set(key, built);
      }
      chunk = built;
    }
    deliveries += events.length;
    bytes += chunk.length;
    if (!subscriber.deliver(events, chunk)) drop(subscriber);
  };
  for (const subscriber of unindexed) offer(subscriber, batch);
  index.match(batch, offer);
  return { deliveries, bytes };
}
