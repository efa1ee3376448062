/**
 * A read-only view of the hub's store in which every update a board shows
 * carries its topic (see `envelope.ts`): same positions, same ids, same
 * topics, only the data (and so the wire bytes) wrapped. The board feed's
 * engine runs over it, so a board page gets everything a hub subscriber gets
 * (replay after its last event id, retained state, the reset notice,
 * heartbeats, backpressure) from the engine itself, not a copy of it.
 *
 * Bytes are built once per event: in `watch`, once for every page of every
 * board; in reads, once per catch-up, as the hub's own replay does.
 */
import type { StoredEvent } from '../engine/event.js';
import { AndonError } from '../errors.js';
import { encodeEvent } from '../sse/encoder.js';
import type {
  ReadOptions,
  ReadPage,
  RetainedSnapshot,
  Store,
  StoreFilter,
  StoreHead,
  StoreListener,
} from '../store/store.js';
import { wrapUpdate } from './envelope.js';

/** The event with its data wrapped in a topic envelope, and its wire bytes rebuilt. */
export function wrapEvent(event: StoredEvent): StoredEvent {
  const data = wrapUpdate(event.topics[0] ?? '', event.data);
  return {
    ...event,
    data,
    bytes: encodeEvent({ id: event.id, event: event.type, data, retry: event.retry }),
  };
}

/**
 * The view of `store` through {@link wrapEvent}. Events `relevant` rejects
 * (no board shows them) pass unwrapped and cost nothing; no board
 * subscriber's filter accepts them anyway. Appending, pruning and closing
 * belong to the hub: the view refuses the first and ignores the others.
 */
export function createTopicView(store: Store, relevant: StoreFilter): Store {
  const wrap = (event: StoredEvent) => (relevant(event) ? wrapEvent(event) : event);
  return {
    append(): Promise<StoredEvent[]> {
      return Promise.reject(
        new AndonError('ANDON_CLOSED', 'A board feed is read-only: publish to the hub.'),
      );
    },
    async read(after: number, options: ReadOptions): Promise<ReadPage> {
      const page = await store.read(after, options);
      return { ...page, events: page.events.map(wrap) };
    },
    resolve: (id: string) => store.resolve(id),
    async latest(filter?: StoreFilter): Promise<RetainedSnapshot> {
      const snapshot = await store.latest(filter);
      return { ...snapshot, events: snapshot.events.map(wrap) };
    },
    head: (): Promise<StoreHead | undefined> => store.head(),
    prune: () => Promise.resolve(0),
    watch: (listener: StoreListener) => store.watch((events) => listener(events.map(wrap))),
    close: () => Promise.resolve(),
  } satisfies Store;
}
