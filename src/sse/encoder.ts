/**
 * The SSE wire format, as pure functions: fields in, bytes out, no I/O.
 *
 * Output follows the WHATWG HTML "server-sent events" parsing rules:
 * `field: value` with exactly one space, data split on CRLF, CR and LF into
 * several `data:` lines, comments for heartbeats, UTF-8, and every event
 * ended by a blank line.
 *
 * Limits of the format, stated once: a lone CR inside `data` cannot travel as
 * such (the parser treats it as a line break), so a receiver gets LF where the
 * sender had CR or CRLF. `event` and `id` cannot contain CR, LF or NUL at all;
 * they are refused here, before anything is sent.
 */
import { AndonError } from '../errors.js';

/** The fields of one server-sent event. */
export interface EventFields {
  /** The `id` field; sets the client's last event ID. Omitted when undefined. `''` resets it. */
  readonly id?: string | undefined;
  /** The event type (`event` field). Omitted when undefined or `''` (the client sees `message`). */
  readonly event?: string | undefined;
  /** The payload. Every line of it becomes one `data:` line; `''` sends one empty data line. */
  readonly data: string;
  /** Reconnection delay in milliseconds (`retry` field), a non-negative integer. */
  readonly retry?: number | undefined;
}

const FORBIDDEN_IN_FIELD = /[\r\n\0]/;
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Throws an `ANDON_INVALID_FIELD` error when `value` cannot travel in the SSE
 * field `name` (it contains CR, LF or NUL, which would inject fields).
 */
export function assertFieldValue(name: 'id' | 'event', value: string): void {
  if (typeof value !== 'string') {
    throw new AndonError('ANDON_INVALID_FIELD', `The SSE "${name}" field must be a string.`);
  }
  if (FORBIDDEN_IN_FIELD.test(value)) {
    throw new AndonError(
      'ANDON_INVALID_FIELD',
      `The SSE "${name}" field must not contain CR, LF or NUL characters; ` +
        `got ${JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value)}.`,
    );
  }
}

/** Throws an `ANDON_INVALID_RETRY` error unless `ms` is a non-negative safe integer. */
export function assertRetry(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new AndonError(
      'ANDON_INVALID_RETRY',
      `The SSE "retry" field must be a non-negative integer number of milliseconds; got ${String(ms)}.`,
    );
  }
}

/** Validates every field of `fields`, throwing an {@link AndonError} on the first bad one. */
export function validateEvent(fields: EventFields): void {
  if (fields.id !== undefined) assertFieldValue('id', fields.id);
  if (fields.event !== undefined) assertFieldValue('event', fields.event);
  if (fields.retry !== undefined) assertRetry(fields.retry);
  if (typeof fields.data !== 'string') {
    throw new AndonError(
      'ANDON_INVALID_DATA',
      `Event data must be a string; got ${typeof fields.data}. Use sendJSON() for objects.`,
    );
  }
}

/**
 * Serializes one event to its wire text, after validating it.
 * The text ends with the blank line that dispatches the event.
 */
export function encodeEventText(fields: EventFields): string {
  validateEvent(fields);
  let text = '';
  if (fields.id !== undefined) text += `id: ${fields.id}\n`;
  if (fields.event !== undefined && fields.event !== '') text += `event: ${fields.event}\n`;
  if (fields.retry !== undefined) text += `retry: ${fields.retry}\n`;
  const data = fields.data;
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) {
    text += `data: ${data}\n`;
  } else {
    for (const line of data.split(LINE_BREAK)) text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

/** Serializes one event to UTF-8 bytes (see {@link encodeEventText}). */
export function encodeEvent(fields: EventFields): Buffer {
  return Buffer.from(encodeEventText(fields), 'utf8');
}

/**
 * A comment block: each line of `text` prefixed with `:`. Clients ignore
 * comments; they keep connections and proxies from timing out. An empty text
 * gives the shortest heartbeat, `:\n\n`.
 */
export function encodeComment(text = ''): Buffer {
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += line === '' ? ':\n' : `: ${line}\n`;
  return Buffer.from(`${out}\n`, 'utf8');
}

/** A block holding only a `retry` field: tells the client how long to wait before reconnecting. */
export function encodeRetry(ms: number): Buffer {
  assertRetry(ms);
  return Buffer.from(`retry: ${ms}\n\n`, 'latin1');
}
