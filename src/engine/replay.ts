/**
 * Catch-up: bring a reconnecting subscriber from its Last-Event-ID to the
 * live stream with no gap and no duplicate at the seam.
 *
 * The subscriber is registered (but not live) before the first read, so
 * nothing appended meanwhile escapes it: pages are read from the store until
 * the subscriber's position reaches the engine's head, and the switch to live
 * happens in the same synchronous step as that check. Live batches then
 * deliver only positions after the last one replayed.
 */
import type { Store } from '../store/store.js';
import type { StoredEvent } from './event.js';
import { concatBytes, type Subscriber } from './subscriber.js';

/** The event type that announces a gap replay cannot fill. */
export const RESET_EVENT = 'reset';

/** Why a reset was announced, as carried in its JSON data. */
export type ResetReason = 'unknown-last-event-id';

/**
 * The reset notice. Its `id` is the latest event's id (or empty), so the
 * client's next reconnection resumes from here instead of asking again for
 * the id nobody knows. Its data is JSON: `{"reason", "lastEventId"}`.
 */
export function encodeResetNotice(requestedId: string, headId: string): Buffer {
  const data = JSON.stringify({
    reason: 'unknown-last-event-id' satisfies ResetReason,
    lastEventId: requestedId,
  });
  return Buffer.from(`id: ${headId}\nevent: ${RESET_EVENT}\ndata: ${data}\n\n`, 'utf8');
}

/** What catch-up needs from the engine. */
export interface CatchUpContext {
  readonly store: Store;
  /** Position of the latest event the engine has received from the store. */
  head(): number;
  /** Id of that event, or `''` when there is none. */
  headId(): string;
  /** Most events read from the store at once. */
  readonly pageSize: number;
}

/** What catch-up did, for metrics. */
export interface CatchUpResult {
  /** Events written from history. */
  readonly replayed: number;
  /** True when the Last-Event-ID was unknown and a reset notice was sent. */
  readonly reset: boolean;
}

/** Where catch-up starts: after a client's last event id, or after a known position. */
export type CatchUpStart = { readonly lastEventId: string } | { readonly position: number };

/**
 * Replays what `subscriber` missed after `from`, then makes it live.
 * When the id is unknown, sends the reset notice and goes live from the head.
 */
export async function catchUp(
  context: CatchUpContext,
  subscriber: Subscriber,
  from: CatchUpStart,
): Promise<CatchUpResult> {
  const lastEventId = 'lastEventId' in from ? from.lastEventId : '';
  const position =
    'position' in from ? from.position : await context.store.resolve(from.lastEventId);
  if (subscriber.closed) return { replayed: 0, reset: false };
  if (position === undefined) {
    subscriber.lastPosition = context.head();
    subscriber.write(encodeResetNotice(lastEventId, context.headId()));
    subscriber.live = true;
    return { replayed: 0, reset: true };
  }
  subscriber.lastPosition = position;
  let replayed = 0;
  for (;;) {
    const page = await context.store.readAfter(subscriber.lastPosition, context.pageSize);
    if (subscriber.closed) return { replayed, reset: false };
    const last = page[page.length - 1];
    if (last !== undefined && last.position > subscriber.lastPosition) {
      const filter = subscriber.filter;
      const events: StoredEvent[] = filter === null ? page : page.filter(filter);
      subscriber.lastPosition = last.position;
      if (events.length > 0) {
        subscriber.write(concatBytes(events));
        replayed += events.length;
        await subscriber.writable();
        if (subscriber.closed) return { replayed, reset: false };
      }
    }
    if (page.length < context.pageSize && subscriber.lastPosition >= context.head()) break;
    if (page.length === 0) {
      // Behind the head yet nothing left to read: the store no longer holds
      // the events in between. Announce the gap rather than skip it silently.
      subscriber.lastPosition = context.head();
      subscriber.write(encodeResetNotice(lastEventId, context.headId()));
      subscriber.live = true;
      return { replayed, reset: true };
    }
  }
  subscriber.live = true;
  return { replayed, reset: false };
}
