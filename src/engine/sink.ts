/**
 * The byte sink a subscriber writes to: the seam between the engine and a
 * socket. `write` reports backpressure, so nothing is ever written blindly.
 */

import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { encodeChunk } from '../sse/chunked.js';

/** Where a subscriber's bytes go. */
export interface Sink {
  /** Writes `chunk`. Returns false when the sink is over its high-water mark: wait for drain. */
  write(chunk: Buffer): boolean;
  /** Calls `listener` once, the next time the sink has drained. */
  onceDrain(listener: () => void): void;
  /** Writes `chunk` if given, then ends the stream gracefully. */
  end(chunk?: Buffer): void;
  /** Drops the connection at once, discarding what is still buffered. */
  destroy(): void;
}

/** A {@link Sink} over an HTTP response whose head has been written. */
export function responseSink(res: ServerResponse): Sink {
  return new ResponseSink(res);
}

/**
 * The sink of a stream whose head is already on the socket (`writeStreamHead`
 * sends it): over HTTP/1, writes go straight to the socket, each as one
 * buffer, framed as a chunk when the body is chunked. `res.write` would cork
 * the socket, frame the bytes as three writes and send them on the next tick,
 * all of which costs more than the write itself when one event goes to
 * thousands of sockets. Other responses (HTTP/2 compatibility objects, a
 * response queued behind a pipelined one) get a {@link responseSink}.
 */
export function streamSink(res: ServerResponse): Sink {
  const socket = res.socket;
  const chunked = (res as { chunkedEncoding?: unknown }).chunkedEncoding;
  if (
    res instanceof ServerResponse &&
    socket !== null &&
    socket.writable &&
    res.headersSent &&
    typeof chunked === 'boolean'
  ) {
    return new SocketSink(res, socket, chunked);
  }
  return new ResponseSink(res);
}

/**
 * A class rather than an object of four closures: its methods live on the
 * prototype, so a sink costs one small object per connection, not five.
 */
class ResponseSink implements Sink {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  write(chunk: Buffer): boolean {
    return this.#res.write(chunk);
  }

  onceDrain(listener: () => void): void {
    this.#res.once('drain', listener);
  }

  end(chunk?: Buffer): void {
    if (chunk === undefined) this.#res.end();
    else this.#res.end(chunk);
  }

  destroy(): void {
    this.#res.destroy();
  }
}

/** See {@link streamSink}. Ending still goes through the response, which writes the last chunk. */
class SocketSink implements Sink {
  readonly #res: ServerResponse;
  readonly #socket: Socket;
  readonly #chunked: boolean;

  constructor(res: ServerResponse, socket: Socket, chunked: boolean) {
    this.#res = res;
    this.#socket = socket;
    this.#chunked = chunked;
  }

  write(chunk: Buffer): boolean {
    // Once the response has ended (here or by its owner), the socket may
    // already carry the next response of a keep-alive connection: nothing
    // more of this stream may reach it. An empty chunk would read as the end
    // of a chunked body.
    if (this.#res.writableEnded || chunk.length === 0) return !this.#socket.writableNeedDrain;
    return this.#socket.write(this.#chunked ? framed(chunk) : chunk);
  }

  onceDrain(listener: () => void): void {
    this.#socket.once('drain', listener);
  }

  end(chunk?: Buffer): void {
    if (chunk === undefined) this.#res.end();
    else this.#res.end(chunk);
  }

  destroy(): void {
    this.#res.destroy();
  }
}

/**
 * The last chunk framed, and what it framed. One event goes to thousands of
 * sockets in a row, so one entry is framed once per dispatch, not per socket.
 * Keyed by identity: the engine never changes a buffer it has written.
 */
let lastChunk: Buffer | undefined;
let lastFramed: Buffer = Buffer.alloc(0);

function framed(chunk: Buffer): Buffer {
  if (chunk !== lastChunk) {
    lastFramed = encodeChunk(chunk);
    lastChunk = chunk;
  }
  return lastFramed;
}
