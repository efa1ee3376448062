/**
 * CORS for event streams: which origins may read the stream, with or without
 * credentials, and the answer to preflight requests. Browsers preflight an
 * EventSource only when it sends non-simple headers (a polyfill setting
 * `Last-Event-ID` or `Authorization`), so `last-event-id` is always allowed.
 */
import type { IncomingMessage } from 'node:http';
import { AndonError } from '../errors.js';

/** Cross-origin access to a stream. */
export interface CorsOptions {
  /**
   * Origins allowed to read the stream: `'*'` for any, a list of exact
   * origins (`'https://screens.example'`), or a predicate.
   */
  readonly origin: '*' | readonly string[] | ((origin: string) => boolean);
  /**
   * Allow cookies and HTTP auth (`new EventSource(url, { withCredentials: true })`).
   * Default false. With `origin: '*'` the request's origin is echoed, as the
   * CORS rules forbid `*` together with credentials.
   */
  readonly credentials?: boolean;
  /** Request headers allowed besides `last-event-id` and `cache-control`. Default none. */
  readonly allowHeaders?: readonly string[];
  /** Seconds a browser may cache a preflight answer. Default 600. */
  readonly maxAge?: number;
}

/** Default preflight cache lifetime, in seconds: ten minutes spares a round trip per reconnect. */
export const DEFAULT_CORS_MAX_AGE = 600;

const BASE_ALLOWED_HEADERS = ['last-event-id', 'cache-control'];

/** CORS compiled once: what to add to answers for a given request. */
export interface CorsPolicy {
  /** Headers for an actual request (empty when the origin is not allowed or absent). */
  headersFor(req: IncomingMessage): Record<string, string>;
  /** Headers for a preflight answer (empty when the origin is not allowed). */
  preflightFor(req: IncomingMessage): Record<string, string>;
}

/** Validates `options` and compiles them into a {@link CorsPolicy}. */
export function compileCors(options: CorsOptions): CorsPolicy {
  const { origin } = options;
  let allowed: (value: string) => boolean;
  if (origin === '*') allowed = () => true;
  else if (typeof origin === 'function') allowed = origin;
  else if (Array.isArray(origin)) {
    const set = new Set(origin);
    allowed = (value) => set.has(value);
  } else {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      'CORS "origin" must be "*", an array of origins, or a function.',
    );
  }
  const credentials = options.credentials === true;
  const maxAge = options.maxAge ?? DEFAULT_CORS_MAX_AGE;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new AndonError('ANDON_INVALID_OPTION', 'CORS "maxAge" must be a non-negative integer.');
  }
  const allowHeaders = [
    ...BASE_ALLOWED_HEADERS,
    ...(options.allowHeaders ?? []).map((h) => h.toLowerCase()),
  ].join(', ');

  const headersFor = (req: IncomingMessage): Record<string, string> => {
    const requestOrigin = req.headers.origin;
    if (requestOrigin === undefined || !allowed(requestOrigin)) return {};
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': origin === '*' && !credentials ? '*' : requestOrigin,
    };
    if (origin !== '*' || credentials) headers.Vary = 'Origin';
    if (credentials) headers['Access-Control-Allow-Credentials'] = 'true';
    return headers;
  };
  return {
    headersFor,
    preflightFor: (req) => {
      const headers = headersFor(req);
      if (headers['Access-Control-Allow-Origin'] === undefined) return headers;
      headers['Access-Control-Allow-Methods'] = 'GET';
      headers['Access-Control-Allow-Headers'] = allowHeaders;
      headers['Access-Control-Max-Age'] = String(maxAge);
      return headers;
    },
  };
}
