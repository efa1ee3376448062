/**
 * Catch-up: bring a subscriber from where it was (its Last-Event-ID, a known
 * position, or nothing but a wish for the current state) to the live stream
 * with no gap and no duplicate at the seam.
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

/**
 * The reserved last event id meaning "everything still kept" (Mercure's
 * `earliest`). A reset notice sent while history is empty carries it, so a
 * client that reconnects before the next event replays what it missed.
 */
export const EARLIEST = 'earliest';

/** Why a reset was announced, as carried in its JSON data. */
export type ResetReason = 'unknown-last-event-id' | 'history-pruned';

/**
 * The reset notice. Its `id` is the latest event's id (or `earliest`), so the
 * client's next reconnection resumes from here instead of asking again for
 * the id nobody knows. Its data is JSON: `{"reason", "lastEventId"}`.
 */
export function encodeResetNotice(
  requestedId: string,
  headId: string,
  reason: ResetReason = 'unknown-last-event-id',
): Buffer {
  const data = JSON.stringify({ reason, lastEventId: requestedId });
  const id = headId === '' ? EARLIEST : headId;
  return Buffer.from(`id: ${id}\nevent: ${RESET_EVENT}\ndata: ${data}\n\n`, 'utf8');
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
  /** Events written from history (retained state included). */
  readonly replayed: number;
  /** True when a gap was announced with a reset notice. */
  readonly reset: boolean;
}

/**
 * Where catch-up starts: after a client's last event id, after a known
 * position, or (`retained`) with the latest event of every topic. With both a
 * last event id and `retained`, a known id replays and an unknown one falls
 * back to the retained state.
 */
export type CatchUpStart =
  | { readonly lastEventId: string; readonly retained?: boolean }
  | { readonly position: number; readonly retained?: boolean }
  | { readonly retained: true };

/**
 * Replays what `subscriber` missed, then makes it live. When its id is
 * unknown (and no retained state was asked for), sends the reset notice and
 * goes live from the head.
 */
export async function catchUp(
  context: CatchUpContext,
  subscriber: Subscriber,
  from: CatchUpStart,
): Promise<CatchUpResult> {
  const filter = subscriber.selection ?? undefined;
  const lastEventId = 'lastEventId' in from ? from.lastEventId : '';
  let position: number | undefined;
  if ('position' in from) position = from.position;
  else if ('lastEventId' in from) {
    position = from.lastEventId === EARLIEST ? 0 : await context.store.resolve(from.lastEventId);
  }
  if (subscriber.closed) return { replayed: 0, reset: false };
  let replayed = 0;
  let reset = false;
  if (position === undefined) {
    if ('lastEventId' in from) {
      subscriber.write(encodeResetNotice(lastEventId, context.headId()));
      reset = true;
    }
    if (from.retained !== true) {
      subscriber.lastPosition = context.head();
      subscriber.live = true;
      return { replayed: 0, reset };
    }
    const snapshot = await context.store.latest(filter);
    if (subscriber.closed) return { replayed, reset };
    if (snapshot.events.length > 0) {
      subscriber.write(concatBytes(snapshot.events));
      replayed += snapshot.events.length;
    }
    position = snapshot.through;
  }
  subscriber.lastPosition = position;
  for (;;) {
    const page = await context.store.read(subscriber.lastPosition, {
      limit: context.pageSize,
      filter,
    });
    if (subscriber.closed) return { replayed, reset };
    if (page.gap && !reset) {
      // History between the client's position and what is kept was pruned.
      subscriber.write(encodeResetNotice(lastEventId, context.headId(), 'history-pruned'));
      reset = true;
    }
    if (page.through > subscriber.lastPosition) subscriber.lastPosition = page.through;
    const events: StoredEvent[] = page.events;
    if (events.length > 0) {
      subscriber.write(concatBytes(events));
      replayed += events.length;
      await subscriber.writable();
      if (subscriber.closed) return { replayed, reset };
    }
    if (page.end && subscriber.lastPosition >= context.head()) break;
  }
  subscriber.live = true;
  return { replayed, reset };
}
