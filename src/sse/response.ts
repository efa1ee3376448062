/**
 * The HTTP side of an event stream: the response head, the Last-Event-ID a
 * client sends, and the refusals (405, 503) a stream endpoint answers with.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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
 * `open` fires before any event. Tunes the socket for small, latency-bound writes.
 */
export function writeStreamHead(
  req: IncomingMessage,
  res: ServerResponse,
  extra: Record<string, string> = {},
): void {
  const headers: Record<string, string> = { ...STREAM_HEADERS, ...extra };
  // HTTP/1.1 needs it spelled out for some proxies; HTTP/2 forbids the header.
  if (req.httpVersionMajor === 1) headers.Connection = 'keep-alive';
  res.writeHead(200, headers);
  const socket = req.socket;
  socket.setNoDelay(true);
  socket.setTimeout(0);
  socket.setKeepAlive(true, KEEPALIVE_PROBE_MS);
}

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
