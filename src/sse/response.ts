/**
 * The HTTP side of an event stream: the response head, the Last-Event-ID a
 * client sends, and the refusals (405, 503) a stream endpoint answers with.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Sink, streamSink } from '../engine/sink.js';
import type { CorsPolicy } from './cors.js';

/**
 * Headers of every event stream. `no-transform` keeps compression middleware
 * and proxies from buffering the stream (a stream is never compressed unless
 * a user adds that themselves); `X-Accel-Buffering: no` does the same for nginx.
 */
export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/**
 * Writes the 200 head of an event stream and flushes it, so the browser's
 * `open` fires before any event. Tunes the socket for small, latency-bound
 * writes. Returns the sink to write the stream's events to (see {@link streamSink}).
 */
export function writeStreamHead(
  req: IncomingMessage,
  res: ServerResponse,
  extra: Record<string, string> = {},
): Sink {
  const headers: Record<string, string> = { ...STREAM_HEADERS, ...extra };
  // HTTP/1.1 needs it spelled out for some proxies; HTTP/2 forbids the header.
  if (req.httpVersionMajor === 1) headers.Connection = 'keep-alive';
  const ascii = isAsciiHead(res, headers);
  res.writeHead(200, headers);
  const socket = req.socket;
  socket.setNoDelay(true);
  socket.setTimeout(0);
  socket.setKeepAlive(true, KEEPALIVE_PROBE_MS);
  // Corked until the end of the tick, the head and what the caller writes at
  // once (the engine's `retry`) leave in one system call, as one packet.
  const cork = req.httpVersionMajor === 1 && socket.writableCorked === 0;
  if (cork) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  flushHead(res, ascii);
  return streamSink(res);
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * Sends the head now. Node keeps the head it built as a string of some forty
 * concatenated pieces (~1.2 KB) for the life of the response; `flushHeaders`
 * writes it as UTF-8, which flattens it into one string of ~250 bytes: about
 * 1 KB less per idle connection. UTF-8 is only right for an ASCII head,
 * though: header values are byte strings (Latin-1), and a non-ASCII one (the
 * hub echoes a non-ASCII Last-Event-ID as its UTF-8 bytes) would be encoded
 * twice. Such a head goes out as Latin-1 with an empty first write, and keeps
 * its pieces (rare: reconnections with a non-ASCII id).
 */
function flushHead(res: ServerResponse, ascii: boolean): void {
  if (ascii) res.flushHeaders();
  else res.write('', 'latin1');
}

/** True when every header of the head `res.writeHead(200, headers)` builds is ASCII. */
function isAsciiHead(res: ServerResponse, headers: Record<string, string>): boolean {
  if (!isAscii(Object.values(headers).join(''))) return false;
  // Headers set on the response before (by the application): writeHead merges them.
  for (const [name, value] of Object.entries(res.getHeaders())) {
    const text = Array.isArray(value) ? value.join('') : String(value);
    if (!isAscii(name) || !isAscii(text)) return false;
  }
  return true;
}

function isAscii(text: string): boolean {
  return !NON_ASCII.test(text);
}

const NON_ASCII = /[\u0080-\uffff]/;

/** TCP keep-alive probe delay: finds dead peers behind NAT in about a minute. */
export const KEEPALIVE_PROBE_MS = 60_000;

/**
 * The client's last event id: the `Last-Event-ID` header, else the
 * `lastEventId` (or Mercure's `lastEventID`) query parameter, for clients that
 * cannot set headers. The header wins. Undefined when absent or empty.
 *
 * Node decodes header bytes as Latin-1; browsers send the id as UTF-8, so the
 * header is re-decoded here and non-ASCII ids survive the round trip.
 */
export function readLastEventId(req: IncomingMessage): string | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') {
    return Buffer.from(header, 'latin1').toString('utf8');
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  const value = params.get('lastEventId') ?? params.get('lastEventID');
  return value === null || value === '' ? undefined : value;
}

/** Answers a CORS preflight (or a plain OPTIONS) with 204 and what is allowed. */
export function answerOptions(req: IncomingMessage, res: ServerResponse, cors?: CorsPolicy): void {
  res.writeHead(204, { Allow: 'GET, OPTIONS', ...(cors?.preflightFor(req) ?? {}) });
  res.end();
}

/** Answers a refused request with a status and a sentence saying why. */
export function refuse(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}
