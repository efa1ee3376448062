/**
 * An incremental Server-Sent Events parser following the WHATWG
 * "event stream interpretation" algorithm: text in, in chunks of any size,
 * events, comments and `retry` values out. Pure: no DOM, no I/O, no timers;
 * decoding bytes to text (UTF-8) is the caller's job.
 *
 * Unlike `EventSource`, comments are reported (a caller counts heartbeats
 * with them) and memory is bounded: a line or an event longer than its limit
 * raises {@link SseLimitError} instead of growing a buffer forever.
 */

/** U+FEFF: one byte order mark at the very start of a stream is skipped. */
const BOM = '\uFEFF';
/** U+0000: an `id` holding it is ignored, as the standard says. */
const NUL = '\u0000';
/** The event type of an event that names none. */
export const DEFAULT_EVENT_TYPE = 'message';

/**
 * Default longest line and longest event, in characters (UTF-16 code units):
 * 16 Mi. Far above any sane update (a wall board's tile is a few hundred
 * bytes), low enough that a runaway or hostile stream cannot exhaust a tab.
 */
export const DEFAULT_MAX_SIZE = 16 * 1024 * 1024;

/** One dispatched event. */
export interface SseEvent {
  /** The `event` field, or `message` when there was none. */
  readonly type: string;
  /** The `data` lines joined with LF. */
  readonly data: string;
  /**
   * The stream's last event ID when the event was dispatched: its own `id`
   * field, or the last one seen before it (ids persist, as in EventSource).
   */
  readonly id: string;
}

/** What the parser calls as the stream is interpreted. */
export interface SseHandlers {
  /** An event was dispatched (a blank line ended a block holding data). */
  event(event: SseEvent): void;
  /** A comment line: its text after the colon (a heartbeat is `''`). Default: ignored. */
  comment?(text: string): void;
  /** A valid `retry` field: the server's reconnection time in ms. Default: ignored. */
  retry?(ms: number): void;
}

/** Limits of one parser. */
export interface SseParserOptions {
  /** The last event ID the stream starts with (events without an `id` carry it). Default `''`. */
  readonly lastEventId?: string;
  /** Longest line, in characters; see {@link DEFAULT_MAX_SIZE}. */
  readonly maxLineLength?: number;
  /** Longest event (the sum of its lines), in characters; see {@link DEFAULT_MAX_SIZE}. */
  readonly maxEventSize?: number;
}

/**
 * Thrown by {@link SseParser.feed} when a line or an event passes its limit.
 * The parser is then unusable: drop the connection (and reconnect from the
 * last event ID if the stream is worth resuming).
 */
export class SseLimitError extends Error {
  /** Which limit was passed. */
  readonly limit: 'line' | 'event';
  /** The limit, in characters. */
  readonly max: number;

  /** Builds the error for `limit`, whose maximum is `max` characters. */
  constructor(limit: 'line' | 'event', max: number) {
    super(
      `The event stream sent ${limit === 'line' ? 'a line' : 'an event'} longer than ${max} characters; ` +
        'the connection was dropped. Raise the limit if updates really are this large.',
    );
    this.name = 'SseLimitError';
    this.limit = limit;
    this.max = max;
  }
}

/**
 * Interprets one event stream. Create one per connection; feed it decoded
 * text as it arrives, and call {@link SseParser.end} when the stream ends.
 */
export class SseParser {
  readonly #handlers: SseHandlers;
  readonly #maxLine: number;
  readonly #maxEvent: number;
  /** The incomplete last line of what was fed so far. */
  #line = '';
  /** A chunk ended with CR: an LF starting the next one ends no new line. */
  #afterCR = false;
  #started = false;
  #data = '';
  #hasData = false;
  #type = '';
  #idBuffer: string;
  #lastEventId: string;
  /** Characters in the current event's lines so far. */
  #eventSize = 0;

  /** A parser reporting to `handlers`, with `options` limits. */
  constructor(handlers: SseHandlers, options: SseParserOptions = {}) {
    this.#handlers = handlers;
    this.#maxLine = options.maxLineLength ?? DEFAULT_MAX_SIZE;
    this.#maxEvent = options.maxEventSize ?? DEFAULT_MAX_SIZE;
    this.#lastEventId = options.lastEventId ?? '';
    this.#idBuffer = this.#lastEventId;
  }

  /**
   * The last event ID of the stream: set by an `id` field once the block
   * holding it ends (an `id` in an event cut off by the end of the stream
   * never counts, so a reconnection does not skip that event).
   */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Interprets `text`, the next piece of the stream. Throws {@link SseLimitError}. */
  feed(text: string): void {
    // An empty chunk must not end the wait for an LF after a CR.
    if (text === '') return;
    let chunk = text;
    if (!this.#started) {
      this.#started = true;
      if (chunk.startsWith(BOM)) chunk = chunk.slice(BOM.length);
    }
    let start = 0;
    if (this.#afterCR) {
      this.#afterCR = false;
      if (chunk.charCodeAt(0) === 0x0a) start = 1;
    }
    const length = chunk.length;
    for (let i = start; i < length; i++) {
      const code = chunk.charCodeAt(i);
      if (code !== 0x0a && code !== 0x0d) continue;
      const piece = chunk.slice(start, i);
      const line = this.#line === '' ? piece : this.#line + piece;
      this.#line = '';
      this.#checkLine(line.length);
      this.#interpret(line);
      if (code === 0x0d) {
        if (i + 1 === length) this.#afterCR = true;
        else if (chunk.charCodeAt(i + 1) === 0x0a) i++;
      }
      start = i + 1;
    }
    if (start < length) {
      this.#line += chunk.slice(start);
      this.#checkLine(this.#line.length);
    }
  }

  /**
   * The stream ended: an incomplete event (no blank line yet) is discarded,
   * as the standard says, and so is an incomplete last line.
   */
  end(): void {
    this.#line = '';
    this.#data = '';
    this.#hasData = false;
    this.#type = '';
    this.#idBuffer = this.#lastEventId;
    this.#eventSize = 0;
  }

  #checkLine(length: number): void {
    if (length > this.#maxLine) throw new SseLimitError('line', this.#maxLine);
    if (this.#eventSize + length > this.#maxEvent) {
      throw new SseLimitError('event', this.#maxEvent);
    }
  }

  #interpret(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    this.#eventSize += line.length;
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.#handlers.comment?.(line.slice(1));
      return;
    }
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes(NUL)) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#handlers.retry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored, as the standard says.
    }
  }

  #dispatch(): void {
    this.#lastEventId = this.#idBuffer;
    this.#eventSize = 0;
    if (!this.#hasData) {
      this.#type = '';
      return;
    }
    const event: SseEvent = {
      type: this.#type === '' ? DEFAULT_EVENT_TYPE : this.#type,
      data: this.#data,
      id: this.#lastEventId,
    };
    this.#data = '';
    this.#hasData = false;
    this.#type = '';
    this.#handlers.event(event);
  }
}
