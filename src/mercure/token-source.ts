/**
 * Where a Mercure request carries its token (draft-dunglas-mercure-07,
 * "Authorization"): the `Authorization` header, the `authorization` query
 * parameter, or a cookie, in that order of precedence. A present header is
 * always the one used, even when a query parameter or cookie is also sent.
 */
import type { IncomingMessage } from 'node:http';
import { AndonError } from '../errors.js';

/** The cookie Mercure hubs read the token from unless configured otherwise. */
export const DEFAULT_COOKIE_NAME = 'mercureAuthorization';

/** The query parameter carrying a token (for clients that cannot set headers, like EventSource). */
export const TOKEN_QUERY_PARAMETER = 'authorization';

/** A token found in a request, and where. */
export interface TokenSource {
  /** The compact JWS, not yet verified. */
  readonly token: string;
  /** Where it was: cookie-borne tokens need CSRF protection on publish; query-borne ones must not be cached. */
  readonly via: 'header' | 'query' | 'cookie';
}

/** `Bearer` (any case), then whitespace, then the credentials; RFC 7235 allows surrounding spaces. */
const BEARER = /^[ \t]*([^ \t]+)(?:[ \t]+(.*?))?[ \t]*$/;

/**
 * Finds the request's token, or returns undefined when it carries none.
 * Throws `ANDON_AUTH_MALFORMED` for an `Authorization` header that is not
 * `Bearer <token>`, and for an empty or repeated `authorization` query
 * parameter. An empty cookie counts as no token: clearing the cookie's value
 * is how applications commonly log a browser out.
 */
export function readToken(
  req: IncomingMessage,
  query: URLSearchParams,
  cookieName: string = DEFAULT_COOKIE_NAME,
): TokenSource | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return { token: bearer(header), via: 'header' };

  const fromQuery = query.getAll(TOKEN_QUERY_PARAMETER);
  if (fromQuery.length > 1) {
    throw malformed(
      `the "${TOKEN_QUERY_PARAMETER}" query parameter is given ${fromQuery.length} times; give it once.`,
    );
  }
  const queried = fromQuery[0];
  if (queried !== undefined) {
    if (queried === '') {
      throw malformed(`the "${TOKEN_QUERY_PARAMETER}" query parameter is empty; give the token.`);
    }
    return { token: queried, via: 'query' };
  }

  const cookie = readCookie(req.headers.cookie, cookieName);
  return cookie === undefined || cookie === '' ? undefined : { token: cookie, via: 'cookie' };
}

/**
 * The value of cookie `name` in a `Cookie` header, or undefined. Pairs are
 * separated by `;` with optional spaces; a value in double quotes is
 * unquoted; a percent-encoded value is decoded (some frameworks encode every
 * cookie). Names are case-sensitive; the first pair with the name wins, as
 * browsers send the most specific path first. Pairs without `=` are skipped.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header === '') return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        // Not percent-encoding after all: keep the raw value; verification will say what is wrong.
      }
    }
    return value;
  }
  return undefined;
}

/** A scheme name short and plain enough to quote in a message. */
const SCHEME_NAME = /^[A-Za-z][A-Za-z0-9-]{0,19}$/;

function bearer(header: string): string {
  const match = BEARER.exec(header);
  const scheme = match?.[1];
  const credentials = match?.[2];
  if (scheme === undefined) {
    throw malformed('the Authorization header is empty; send "Authorization: Bearer <token>".');
  }
  if (scheme.toLowerCase() !== 'bearer') {
    // A lone value is most likely a bare token: never echo it.
    const shown =
      credentials !== undefined && SCHEME_NAME.test(scheme)
        ? `the ${scheme} scheme`
        : credentials === undefined
          ? 'no scheme'
          : 'another scheme';
    throw malformed(`the Authorization header has ${shown}; send "Authorization: Bearer <token>".`);
  }
  if (credentials === undefined || credentials === '') {
    throw malformed('the Authorization header has "Bearer" but no token after it.');
  }
  if (/[ \t]/.test(credentials)) {
    throw malformed(
      'the Authorization header has more than one value after "Bearer"; send one token.',
    );
  }
  return credentials;
}

function malformed(why: string): AndonError {
  return new AndonError('ANDON_AUTH_MALFORMED', `The token cannot be read: ${why}`);
}
