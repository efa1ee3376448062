/**
 * The event as it travels through the engine: fields, a position from the
 * store, and its wire bytes, built once and shared by every subscriber.
 */
import { type EventFields, encodeEvent } from '../sse/encoder.js';

/** What a publisher hands to a store: an event before it has a position. */
export interface EventDraft {
  /** The public SSE id. Stores index it so a Last-Event-ID resolves to a position. */
  readonly id: string;
  /** The SSE event type; undefined means the client's default, `message`. */
  readonly type?: string | undefined;
  /** The payload. */
  readonly data: string;
  /** The reconnection delay carried with the event, in milliseconds. */
  readonly retry?: number | undefined;
  /** Topics the event belongs to (the hub's selectors match them); `[]` for a plain stream. */
  readonly topics: readonly string[];
  /** Key for conflation: a slow subscriber may keep only the latest queued event per key. */
  readonly key?: string | undefined;
  /** Mercure private update: only subscribers entitled to one of its topics receive it. */
  readonly private?: boolean | undefined;
}

/** An event once a store has accepted it. */
export interface StoredEvent extends EventDraft {
  /** Order from the store: strictly increasing in append order, never reused by that store. */
  readonly position: number;
  /** When the store accepted it, in ms since the epoch (for age-based retention). */
  readonly time: number;
  /** Wire bytes, serialized once. */
  readonly bytes: Buffer;
}

/** The SSE fields of a draft. */
export function draftFields(draft: EventDraft): EventFields {
  return { id: draft.id, event: draft.type, data: draft.data, retry: draft.retry };
}

/** Gives `draft` its position, time and wire bytes. Throws if a field cannot be encoded. */
export function storeEvent(
  draft: EventDraft,
  position: number,
  time: number = Date.now(),
): StoredEvent {
  return { ...draft, position, time, bytes: encodeEvent(draftFields(draft)) };
}

/** The topic an event is retained under: its canonical (first) topic, `''` for topicless events. */
export function retainKey(event: EventDraft): string {
  return event.topics[0] ?? '';
}
