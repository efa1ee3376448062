/**
 * Why one connection attempt of a live subscription failed. Reported through
 * the subscription's `error` event; the subscription itself keeps trying.
 */

/**
 * What went wrong: `network` (no answer, or the stream broke), `http` (the
 * hub refused: see `status` and the message, which carries the hub's
 * reason), `protocol` (an answer that is not an event stream), `limit` (a
 * line or event over the size limit), `stalled` (an open stream silent for
 * longer than `staleAfterMs`, so dropped and reopened), `token` (the token
 * function threw or rejected).
 */
export type LiveErrorKind = 'network' | 'http' | 'protocol' | 'limit' | 'stalled' | 'token';

/** A failed connection attempt. */
export class LiveError extends Error {
  /** What went wrong; see {@link LiveErrorKind}. */
  readonly kind: LiveErrorKind;
  /** The HTTP status, for `http` errors. */
  readonly status: number | undefined;

  /** Builds the error; `status` only for `http` errors, `cause` when another error is behind it. */
  constructor(kind: LiveErrorKind, message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LiveError';
    this.kind = kind;
    this.status = status;
  }
}
