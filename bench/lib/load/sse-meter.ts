/**
 * Reads one SSE response as bytes arrive and counts what matters, without
 * building strings or copying: the HTTP head (status, chunked or not), the
 * chunked framing, and the SSE frames (events with a `data` field, body
 * bytes, and the publish time each timed event carries; see `payload.ts`).
 *
 * It is one byte loop with its state carried across reads, so a frame, a
 * chunk-size line or a timestamp split between two reads needs no buffering.
 * That keeps a load worker's cost per delivered event near 100 ns, which
 * matters: the load client shares the machine with the server it measures.
 *
 * Lines end with LF; a CR before it is ignored (CRLF servers work too).
 */

const LF = 10;
const CR = 13;
/** `data:` */
const DATA = [100, 97, 116, 97, 58] as const;
/** `"t":`, the start of a timed payload's stamp. */
const STAMP = [34, 116, 34, 58] as const;
const DOT = 46;
const ZERO = 48;
/** Longest response head accepted: past this the response is not SSE. */
const MAX_HEAD_BYTES = 16 * 1024;

/** Where the parser is in the response. */
const Phase = {
  Head: 0,
  ChunkSize: 1,
  ChunkExtension: 2,
  ChunkData: 3,
  ChunkEnd: 4,
  Body: 5,
  Done: 6,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** What the meter tells its owner. */
export interface MeterSink {
  /** The head arrived: `status` is the HTTP status (the stream is live when 200). */
  head(status: number): void;
  /** An event with a publish stamp arrived; `stampMs` is the time in it (see `clock.ts`). */
  stamped(stampMs: number): void;
}

/** Parses one connection's response; see the module comment. */
export class SseMeter {
  /** Events received: frames that had a `data` field. */
  events = 0;
  /** Body bytes received, without the HTTP head and chunk framing. */
  bytes = 0;
  readonly #sink: MeterSink;
  #phase: Phase = Phase.Head;
  #head = '';
  #chunkLeft = 0;
  #sizeDigits = 0;
  // SSE state.
  #lineStart = true;
  /** How much of `data:` the current line matched; -1 once it cannot be a data line. */
  #dataMatch = 0;
  #frameHasData = false;
  /** How much of `"t":` matched so far in this line; 4 while reading the number. */
  #stampMatch = 0;
  #stampInt = 0;
  #stampFrac = 0;
  #stampScale = 0;
  #stamp = Number.NaN;

  constructor(sink: MeterSink) {
    this.#sink = sink;
  }

  /** True once the response ended (last chunk) or failed. */
  get done(): boolean {
    return this.#phase === Phase.Done;
  }

  /** Reads `buf[start, end)`. The bytes are not kept: `buf` may be reused afterwards. */
  feed(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      switch (this.#phase) {
        case Phase.Head:
          i = this.#readHead(buf, i, end);
          break;
        case Phase.Body:
          this.#sse(buf, i, end);
          i = end;
          break;
        case Phase.ChunkData: {
          const stop = Math.min(end, i + this.#chunkLeft);
          this.#sse(buf, i, stop);
          this.#chunkLeft -= stop - i;
          i = stop;
          if (this.#chunkLeft === 0) this.#phase = Phase.ChunkEnd;
          break;
        }
        case Phase.ChunkEnd:
          // The CRLF after a chunk's data.
          if (buf[i] === LF) this.#phase = Phase.ChunkSize;
          i++;
          break;
        case Phase.ChunkSize: {
          const c = buf[i++]!;
          const digit = hexDigit(c);
          if (digit >= 0) {
            this.#chunkLeft = this.#chunkLeft * 16 + digit;
            this.#sizeDigits++;
          } else if (c === LF) this.#endSizeLine();
          else if (c !== CR) this.#phase = Phase.ChunkExtension;
          break;
        }
        case Phase.ChunkExtension:
          if (buf[i++] === LF) this.#endSizeLine();
          break;
        case Phase.Done:
          return;
      }
    }
  }

  #endSizeLine(): void {
    if (this.#sizeDigits === 0) {
      this.#phase = Phase.Done;
      return;
    }
    this.#sizeDigits = 0;
    this.#phase = this.#chunkLeft === 0 ? Phase.Done : Phase.ChunkData;
  }

  /** Collects the head (ASCII) up to the blank line; returns where the body starts. */
  #readHead(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const c = buf[i++]!;
      this.#head += String.fromCharCode(c);
      if (c === LF && this.#head.endsWith('\r\n\r\n')) {
        const status = Number(this.#head.slice(9, 12));
        const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(this.#head);
        this.#head = '';
        this.#phase = status !== 200 ? Phase.Done : chunked ? Phase.ChunkSize : Phase.Body;
        this.#sink.head(status);
        return this.#phase === Phase.Done ? end : i;
      }
      if (this.#head.length > MAX_HEAD_BYTES) {
        this.#phase = Phase.Done;
        this.#sink.head(0);
        return end;
      }
    }
    return i;
  }

  /** The SSE byte loop over body bytes `buf[start, end)`. */
  #sse(buf: Uint8Array, start: number, end: number): void {
    this.bytes += end - start;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c === LF) {
        if (this.#lineStart) this.#endFrame();
        else {
          if (this.#dataMatch === 5) this.#frameHasData = true;
          if (this.#stampMatch === 4) this.#endStamp();
        }
        this.#lineStart = true;
        this.#dataMatch = 0;
        this.#stampMatch = 0;
        continue;
      }
      if (c === CR) continue;
      this.#lineStart = false;
      const match = this.#dataMatch;
      if (match >= 0 && match < 5) {
        this.#dataMatch = c === DATA[match] ? match + 1 : -1;
        continue;
      }
      if (match !== 5) continue; // Not a data line: skip to its end.
      const stamp = this.#stampMatch;
      if (stamp === 4) {
        // Reading the stamp's number.
        if (c >= ZERO && c <= ZERO + 9) {
          if (this.#stampScale === 0) this.#stampInt = this.#stampInt * 10 + (c - ZERO);
          else {
            this.#stampFrac = this.#stampFrac * 10 + (c - ZERO);
            this.#stampScale *= 10;
          }
        } else if (c === DOT && this.#stampScale === 0) this.#stampScale = 1;
        else this.#endStamp();
      } else if (stamp >= 0) {
        // The stamp is the first thing in a timed payload: `{"t":` right after `data: `.
        if (c === STAMP[stamp]) {
          this.#stampMatch = stamp + 1;
          if (stamp === 3) {
            this.#stampInt = 0;
            this.#stampFrac = 0;
            this.#stampScale = 0;
          }
        } else if (c !== 32 && c !== 123) this.#stampMatch = -1; // Not ` ` or `{`: no stamp here.
      }
    }
  }

  #endStamp(): void {
    this.#stampMatch = -1;
    this.#stamp =
      this.#stampScale > 1 ? this.#stampInt + this.#stampFrac / this.#stampScale : this.#stampInt;
  }

  #endFrame(): void {
    if (!this.#frameHasData) return;
    this.events++;
    this.#frameHasData = false;
    if (!Number.isNaN(this.#stamp)) {
      this.#sink.stamped(this.#stamp);
      this.#stamp = Number.NaN;
    }
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
