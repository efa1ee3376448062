/**
 * Requests Node's HTTP parser refuses before any handler sees them (a NUL,
 * CR or LF inside a header value, a malformed request line, headers past
 * the size limit): Node's default answer is a bare status line. Andon
 * answers them as every other refusal, with a sentence saying what was wrong.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** What Node's parser refusals mean, in words: its default answer has a status and no body. */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'The request headers are larger than this server accepts (16 KB); send fewer or shorter headers, or fewer topic selectors.',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive; send it again.'],
};

/**
 * Answers a request Node's HTTP parser refused (a NUL, CR or LF inside a
 * header, a malformed request line, headers past the size limit) with a
 * sentence, as every other refusal, instead of Node's bare status line.
 * Writes nothing when a response is already under way on the socket (an
 * event stream whose client then sent garbage): its bytes must stay intact.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own check (lib/_http_server.js): the response in flight, if any, hangs off the socket.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const reason = (error as { reason?: unknown }).reason;
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    `The request is not valid HTTP/1.1${typeof reason === 'string' ? ` (${reason})` : ''}; a header value may not hold control characters such as NUL, CR or LF.`,
  ];
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  // A peer that never closes its side must not hold the socket.
  socket.once('finish', () => socket.destroy());
}
