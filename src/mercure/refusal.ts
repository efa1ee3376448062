/**
 * How the hub says no: the status of the error's code, a sentence saying
 * what was wrong and how to fix it, and for 401 a `WWW-Authenticate`
 * challenge (RFC 6750) carrying the same sentence. Keys never appear.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AndonError } from '../errors.js';
import { refuse } from '../sse/response.js';
import type { HubObserver } from './context.js';

/** Answers `req` with `error`, or with 500 for an unexpected error (logged, not shown). */
export function sendRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  observer: HubObserver,
  headers: Record<string, string> = {},
): void {
  if (!(error instanceof AndonError)) {
    observer.error?.(error);
    if (!res.headersSent) refuse(res, 500, 'The hub failed to handle this request; see its logs.');
    else res.destroy();
    return;
  }
  observer.refused?.(req, error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra = { ...headers };
  if (error.status === 401) {
    const description = error.message.replace(/["\\\r\n]/g, "'");
    const kind = error.code === 'ANDON_AUTH_NO_TOKEN' ? '' : ', error="invalid_token"';
    extra['WWW-Authenticate'] = `Bearer realm="mercure"${kind}, error_description="${description}"`;
  }
  if (error.status === 503 && extra['Retry-After'] === undefined) extra['Retry-After'] = '5';
  // An oversized body is left unread: close rather than drain it for keep-alive.
  if (error.status === 413) extra.Connection = 'close';
  refuse(res, error.status, error.message, extra);
}
