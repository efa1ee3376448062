/**
 * Rows of the SQLite store and the events they hold: one place that knows
 * the column layout of `events` and `retained`.
 */
import { type EventDraft, retainKey, type StoredEvent } from '../engine/event.js';

/** A row of `events` (and of `retained`, which adds its topic key). */
export interface EventRow {
  readonly position: number;
  readonly id: string;
  readonly type: string | null;
  readonly data: string;
  readonly retry: number | null;
  readonly topics: string;
  readonly private: number;
  readonly key: string | null;
  readonly time: number;
}

/** The columns of an event, in the order the INSERT statements take them. */
export const EVENT_COLUMNS = 'id, type, data, retry, topics, private, key, time';

/** The values of `draft` for {@link EVENT_COLUMNS}. */
export function rowValues(draft: EventDraft, time: number): unknown[] {
  return [
    draft.id,
    draft.type ?? null,
    draft.data,
    draft.retry ?? null,
    JSON.stringify(draft.topics),
    draft.private === true ? 1 : 0,
    draft.key ?? null,
    time,
  ];
}

/** The values of a retained row: its topic key, position, then the event's columns. */
export function retainedValues(event: StoredEvent): unknown[] {
  return [retainKey(event), event.position, ...rowValues(event, event.time)];
}

/** The draft fields of a row (no bytes yet). */
export function rowDraft(
  row: EventRow,
): EventDraft & { readonly position: number; readonly time: number } {
  const draft: { -readonly [K in keyof EventDraft]: EventDraft[K] } & {
    position: number;
    time: number;
  } = {
    position: row.position,
    time: row.time,
    id: row.id,
    data: row.data,
    topics: JSON.parse(row.topics) as string[],
  };
  if (row.type !== null) draft.type = row.type;
  if (row.retry !== null) draft.retry = row.retry;
  if (row.private === 1) draft.private = true;
  if (row.key !== null) draft.key = row.key;
  return draft;
}
