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
