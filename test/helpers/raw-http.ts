/**
 * One HTTP/1.1 request over node:net, for what fetch will not send: bytes
 * that are not valid UTF-8, control characters in headers, a chunked body
 * that never ends. Resolves with the response once it is complete (its
 * Content-Length read, or the connection closed), even if the server resets
 * the connection after answering, as it does when it refuses a body unread.
 */
import net from 'node:net';
import { withTimeout } from './wait.js';

/** A response as read off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What to send. */
export interface RawRequest {
  readonly method: string;
  /** Path and query, sent as given (latin1 bytes). */
  readonly path: string;
  /** Header values are sent as raw bytes (latin1): `\0` sends a NUL. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body parts, written one after the other; the request is sent without any terminator of its own. */
  readonly body?: readonly Buffer[];
}

/** Frames `data` as one chunk of a chunked body. */
export function chunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/** The last chunk of a chunked body. */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** Sends `request` to 127.0.0.1:`port` and resolves with the response. */
export function rawRequest(
  port: number,
  request: RawRequest,
  timeoutMs = 5000,
): Promise<RawResponse> {
  const socket = net.connect(port, '127.0.0.1');
  let head = `${request.method} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {}))
    head += `${name}: ${value}\r\n`;
  socket.write(Buffer.from(`${head}\r\n`, 'latin1'));
  for (const part of request.body ?? []) socket.write(part);

  const response = new Promise<RawResponse>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const parse = (final: boolean): RawResponse | undefined => {
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      const [statusLine = '', ...lines] = received
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (match === null) throw new Error(`Not an HTTP response: ${JSON.stringify(statusLine)}`);
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rest = received.subarray(end + 4);
      const length = headers['content-length'];
      if (length !== undefined) {
        if (rest.length < Number(length)) return undefined;
        return {
          status: Number(match[1]),
          headers,
          body: rest.subarray(0, Number(length)).toString('utf8'),
        };
      }
      return final ? { status: Number(match[1]), headers, body: rest.toString('utf8') } : undefined;
    };
    const settle = (final: boolean) => {
      try {
        const parsed = parse(final);
        if (parsed !== undefined) {
          resolve(parsed);
          socket.destroy();
        } else if (final) {
          reject(
            new Error(
              `The connection closed before a complete response: ${JSON.stringify(received.toString('latin1'))}`,
            ),
          );
        }
      } catch (error) {
        reject(error);
        socket.destroy();
      }
    };
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      settle(false);
    });
    // A reset after the answer (the server refusing an unread body) only ends the response.
    socket.on('error', () => settle(true));
    socket.on('close', () => settle(true));
  });
  return withTimeout(
    response,
    `a response to ${request.method} ${request.path.slice(0, 80)}`,
    timeoutMs,
  ).finally(() => socket.destroy());
}
