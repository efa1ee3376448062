/**
 * Every error Andon raises on purpose, in one place.
 *
 * Each error has a stable `code` (for programs and logs) and an HTTP `status`
 * (for the hub's answers). Messages say what was wrong and how to fix it.
 * `test/errors.test.ts` pins this list: adding a code is a visible change.
 */

/** The stable error codes, with the HTTP status each maps to. */
export const ERROR_CODES = {
  /** An SSE `event` or `id` field contains CR, LF or NUL (field injection). */
  ANDON_INVALID_FIELD: 400,
  /** An SSE `retry` value is not a non-negative integer. */
  ANDON_INVALID_RETRY: 400,
  /** Event `data` is not a string (or, for `sendJSON`, not serializable). */
  ANDON_INVALID_DATA: 400,
  /** An option given to a constructor or factory is out of range or of the wrong type. */
  ANDON_INVALID_OPTION: 500,
  /** A command-line flag or environment setting is invalid; the message names it. */
  ANDON_INVALID_SETTING: 500,
  /** The stream or engine was closed; nothing more can be sent or served. */
  ANDON_CLOSED: 503,
  /** The HTTP method is not served on an event stream. */
  ANDON_METHOD_NOT_ALLOWED: 405,
  /** A topic selector is too long or has too many template expressions. */
  ANDON_INVALID_SELECTOR: 400,
  /** A request needed a token (JWS) and carried none. */
  ANDON_AUTH_NO_TOKEN: 401,
  /** The token is not a well-formed compact JWS, or its payload is not a JSON object. */
  ANDON_AUTH_MALFORMED: 401,
  /** The token's signature does not verify with the hub's key for this role. */
  ANDON_AUTH_BAD_SIGNATURE: 401,
  /** The token is signed with an algorithm the hub does not accept for this role (`none` included). */
  ANDON_AUTH_WRONG_ALGORITHM: 401,
  /** The token's `exp` has passed. */
  ANDON_AUTH_EXPIRED: 401,
  /** The token's `nbf` lies in the future (`iat` is not checked: publishers' clocks drift). */
  ANDON_AUTH_NOT_YET_VALID: 401,
  /** The hub has no key to verify tokens of this role. */
  ANDON_AUTH_NO_KEY: 401,
  /** The hub's key set (JWKS URL) cannot be loaded now: the hub's problem, not the token's. */
  ANDON_AUTH_KEYS_UNAVAILABLE: 503,
  /** The token lacks the `mercure` claim needed (`mercure.publish`, `mercure.subscribe`). */
  ANDON_AUTH_CLAIM_MISSING: 403,
  /** The token's claim does not cover a topic of the request. */
  ANDON_AUTH_TOPIC_FORBIDDEN: 403,
  /** A cookie-authenticated publish came from an origin that is not allowed (CSRF protection). */
  ANDON_AUTH_ORIGIN_FORBIDDEN: 403,
  /** A publish form is invalid: a field is missing, malformed, or not valid UTF-8. */
  ANDON_INVALID_UPDATE: 400,
  /** A subscription request is invalid: no topic, too many selectors, a control character. */
  ANDON_INVALID_SUBSCRIPTION: 400,
  /** A topic lies in the hub's reserved namespace (`/.well-known/mercure/...`). */
  ANDON_RESERVED_TOPIC: 403,
  /** A request body is larger than the configured limit. */
  ANDON_BODY_TOO_LARGE: 413,
  /** A request body is not of the media type the endpoint reads. */
  ANDON_UNSUPPORTED_MEDIA_TYPE: 415,
  /** A token published more updates per second than the configured rate. */
  ANDON_RATE_LIMITED: 429,
  /** The hub holds as many subscribers as it is configured (or able) to; try again later. */
  ANDON_SUBSCRIBER_LIMIT: 503,
  /** The store could not take or read events; the request was not carried out. */
  ANDON_STORE_UNAVAILABLE: 503,
  /** Nothing is served at the requested path (or the feature behind it is off). */
  ANDON_NOT_FOUND: 404,
} as const;

/** One of {@link ERROR_CODES}' keys. */
export type AndonErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error Andon throws on purpose. */
export class AndonError extends Error {
  /** Stable, documented identifier of the error kind. */
  readonly code: AndonErrorCode;
  /** The HTTP status an answer refused for this reason carries. */
  readonly status: number;

  constructor(code: AndonErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AndonError';
    this.code = code;
    this.status = ERROR_CODES[code];
  }
}

/** True when `error` is an {@link AndonError}, optionally of the given code. */
export function isAndonError(error: unknown, code?: AndonErrorCode): error is AndonError {
  return error instanceof AndonError && (code === undefined || error.code === code);
}
