/**
 * A raw SSE client over node:net, for what EventSource hides: the exact
 * blocks on the wire (comments, `retry` values), request headers sent as
 * raw bytes, and control of reading (`pause()` leaves bytes in the kernel).
 *
 * It speaks just enough HTTP/1.1 for an event stream: one GET, a head, and a
 * chunked (or Content-Length) body. Lines are split on LF with a trailing CR
 * removed, which covers everything Andon writes (it writes LF only).
 */
import net from 'node:net';
import { DEFAULT_WAIT_MS, waitFor, withTimeout } from './wait.js';

/** One block of the stream: the lines up to a blank line. */
export interface SseBlock {
  readonly id?: string;
  readonly event?: string;
  /** The `data` lines joined with LF, as EventSource would deliver them. */
  readonly data?: string;
  readonly retry?: string;
  /** Comment lines, without the leading `:` and one optional space. */
  readonly comments: readonly string[];
}

/** How to connect. */
export interface RawConnectOptions {
  /** Request path and query. Default `/events`. */
  readonly path?: string;
  /** Extra request headers; values are sent as UTF-8 bytes, as browsers send Last-Event-ID. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long to wait for the response head. */
  readonly timeoutMs?: number;
}

type BodyMode = 'chunked' | 'length' | 'close';

export class RawSseClient {
  readonly socket: net.Socket;
  /** Response status, once the head arrived. */
  status = 0;
  /** Response headers, lower-cased names. */
  readonly headers: Record<string, string> = {};
  /** Every block received, in order. */
  readonly blocks: SseBlock[] = [];
  /** Body bytes received (after de-chunking). */
  bodyBytes = 0;
  /** True once the body ended (last chunk, or the connection closed). */
  ended = false;
  /** True once the socket closed. */
  closed = false;

  #head: Buffer | null = Buffer.alloc(0);
  #mode: BodyMode = 'close';
  #pending: Buffer = Buffer.alloc(0);
  #chunkLeft = -1;
  #lengthLeft = 0;
  readonly #decoder = new TextDecoder('utf-8');
  #text = '';
  #block: { id?: string; event?: string; data?: string[]; retry?: string; comments: string[] } = {
    comments: [],
  };
  readonly #headReceived: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.#headReceived = new Promise((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        try {
          if (this.#onData(chunk)) resolve();
        } catch (error) {
          socket.destroy();
          reject(error);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => {
        this.closed = true;
        this.ended = true;
        reject(new Error('The connection closed before the response head arrived'));
      });
    });
    // Later socket errors (a reset by the server) only mean the connection ended.
    this.#headReceived.catch(() => {});
  }

  /** Opens a connection, sends the GET and resolves once the response head arrived. */
  static async connect(port: number, options: RawConnectOptions = {}): Promise<RawSseClient> {
    const socket = net.connect(port, '127.0.0.1');
    const client = new RawSseClient(socket);
    let head = `GET ${options.path ?? '/events'} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
    head += 'Accept: text/event-stream\r\n';
    for (const [name, value] of Object.entries(options.headers ?? {}))
      head += `${name}: ${value}\r\n`;
    socket.write(Buffer.from(`${head}\r\n`, 'utf8'));
    await withTimeout(
      client.#headReceived,
      `the response head from port ${port}`,
      options.timeoutMs ?? DEFAULT_WAIT_MS,
    );
    return client;
  }

  /** Blocks carrying data (events), in order. */
  events(): SseBlock[] {
    return this.blocks.filter((b) => b.data !== undefined);
  }

  /** Waits until at least `count` blocks matching `predicate` (default: any) arrived. */
  async waitForBlocks(
    count: number,
    predicate: (block: SseBlock) => boolean = () => true,
    timeoutMs: number = DEFAULT_WAIT_MS,
  ): Promise<SseBlock[]> {
    let matching: SseBlock[] = [];
    await waitFor(
      () => {
        matching = this.blocks.filter(predicate);
        return matching.length >= count;
      },
      `${count} matching blocks`,
      timeoutMs,
      () => `got ${matching.length} of ${this.blocks.length} blocks, ended: ${this.ended}`,
    );
    return matching;
  }

  /** Waits until `count` events (blocks with data) arrived. */
  waitForEvents(count: number, timeoutMs: number = DEFAULT_WAIT_MS): Promise<SseBlock[]> {
    return this.waitForBlocks(count, (b) => b.data !== undefined, timeoutMs);
  }

  /** Waits until the body ended. */
  waitForEnd(timeoutMs: number = DEFAULT_WAIT_MS): Promise<void> {
    return waitFor(() => this.ended, 'the end of the stream', timeoutMs);
  }

  /** Stops reading: bytes pile up in the kernel, then the server sees backpressure. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Returns true once the head has been parsed. */
  #onData(chunk: Buffer): boolean {
    if (this.#head !== null) {
      const buffer = Buffer.concat([this.#head, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) {
        this.#head = buffer;
        return false;
      }
      this.#parseHead(buffer.subarray(0, end).toString('latin1'));
      this.#head = null;
      this.#onBody(buffer.subarray(end + 4));
      return true;
    }
    this.#onBody(chunk);
    return true;
  }

  #parseHead(text: string): void {
    const [statusLine = '', ...lines] = text.split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (match === null) throw new Error(`Not an HTTP response: ${JSON.stringify(statusLine)}`);
    this.status = Number(match[1]);
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      this.headers[name] = name in this.headers ? `${this.headers[name]}, ${value}` : value;
    }
    if (this.headers['transfer-encoding']?.includes('chunked')) this.#mode = 'chunked';
    else if (this.headers['content-length'] !== undefined) {
      this.#mode = 'length';
      this.#lengthLeft = Number(this.headers['content-length']);
      if (this.#lengthLeft === 0) this.ended = true;
    }
  }

  #onBody(bytes: Buffer): void {
    if (this.ended || bytes.length === 0) return;
    if (this.#mode === 'close') {
      this.#feed(bytes);
      return;
    }
    if (this.#mode === 'length') {
      const take = bytes.subarray(0, this.#lengthLeft);
      this.#lengthLeft -= take.length;
      this.#feed(take);
      if (this.#lengthLeft === 0) this.ended = true;
      return;
    }
    this.#pending = this.#pending.length === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    for (;;) {
      if (this.#chunkLeft === -1) {
        const eol = this.#pending.indexOf('\r\n');
        if (eol === -1) return;
        const size = Number.parseInt(this.#pending.subarray(0, eol).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('Malformed chunk size');
        this.#pending = this.#pending.subarray(eol + 2);
        if (size === 0) {
          this.ended = true;
          return;
        }
        this.#chunkLeft = size;
      }
      if (this.#chunkLeft > 0) {
        if (this.#pending.length === 0) return;
        const take = this.#pending.subarray(0, this.#chunkLeft);
        this.#pending = this.#pending.subarray(take.length);
        this.#chunkLeft -= take.length;
        this.#feed(take);
      }
      if (this.#chunkLeft === 0) {
        if (this.#pending.length < 2) return;
        this.#pending = this.#pending.subarray(2);
        this.#chunkLeft = -1;
      }
    }
  }

  #feed(bytes: Buffer): void {
    this.bodyBytes += bytes.length;
    this.#text += this.#decoder.decode(bytes, { stream: true });
    let start = 0;
    for (;;) {
      const eol = this.#text.indexOf('\n', start);
      if (eol === -1) break;
      let line = this.#text.slice(start, eol);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = eol + 1;
      this.#line(line);
    }
    this.#text = this.#text.slice(start);
  }

  #line(line: string): void {
    const block = this.#block;
    if (line === '') {
      if (
        block.id !== undefined ||
        block.event !== undefined ||
        block.data !== undefined ||
        block.retry !== undefined ||
        block.comments.length > 0
      ) {
        const { data, ...rest } = block;
        this.blocks.push(data === undefined ? rest : { ...rest, data: data.join('\n') });
      }
      this.#block = { comments: [] };
      return;
    }
    if (line.startsWith(':')) {
      block.comments.push(line.slice(line.startsWith(': ') ? 2 : 1));
      return;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') {
      block.data ??= [];
      block.data.push(value);
    } else if (name === 'id' || name === 'event' || name === 'retry') block[name] = value;
  }
}
