/**
 * The verifiers {@link Verifier} has: one that refuses every token when no key
 * is set, and the JWS verifier, which maps each jose failure to one
 * `ANDON_AUTH_*` error.
 */
import type { KeyObject } from 'node:crypto';
import { type JWTVerifyGetKey, jwtVerify } from 'jose';
import { AndonError } from '../../errors.js';
import type { JwtAlgorithm } from './algorithms.js';
import { echo, joseCode, reason } from './messages.js';
import { grants, inspect, malformed, type VerifiedToken } from './token.js';

/**
 * Seconds of clock difference tolerated on `exp` and `nbf`. Clocks synced by
 * NTP agree within milliseconds, but a publisher on an unsynced VM that sets
 * `nbf` to "now" would otherwise be refused for a second of skew; 5 s absorbs
 * that while keeping an expired token usable for at most 5 s more.
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Verifies the tokens of one role (publisher or subscriber). */
export interface Verifier {
  /** Resolves with the token's grants, or rejects with an `ANDON_AUTH_*` {@link AndonError}. */
  verify(token: string): Promise<VerifiedToken>;
}

/** Who presents the tokens a verifier checks. */
export type Role = 'publisher' | 'subscriber';

/** The verifier of a role with no key configured: rejects every token with `ANDON_AUTH_NO_KEY`. */
export class NoKeyVerifier implements Verifier {
  readonly #message: string;

  constructor(role: Role, setting: string) {
    this.#message = `This hub has no ${role} key configured, so it cannot verify ${role} tokens; set ${setting}.`;
  }

  verify(): Promise<VerifiedToken> {
    return Promise.reject(new AndonError('ANDON_AUTH_NO_KEY', this.#message));
  }
}

/** Verifies a JWS against a key (or a JWKS lookup) and a set of accepted algorithms. */
export class JwtVerifier implements Verifier {
  readonly #key: KeyObject | Uint8Array | JWTVerifyGetKey;
  readonly #algorithms: readonly JwtAlgorithm[];
  readonly #role: Role;
  /** Names the key in messages, e.g. "the hub's publisher key (MERCURE_PUBLISHER_JWT_KEY, HS256)". */
  readonly #keyName: string;

  constructor(
    key: KeyObject | Uint8Array | JWTVerifyGetKey,
    algorithms: readonly JwtAlgorithm[],
    role: Role,
    keyName: string,
  ) {
    this.#key = key;
    this.#algorithms = algorithms;
    this.#role = role;
    this.#keyName = keyName;
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token === '') {
      throw new AndonError('ANDON_AUTH_NO_TOKEN', `No ${this.#role} token was given.`);
    }
    const header = inspect(token);
    const alg = header.alg;
    if (!(this.#algorithms as readonly unknown[]).includes(alg)) {
      const used = alg === 'none' ? 'is unsigned (alg "none")' : `is signed with ${echo(alg)}`;
      const [only] = this.#algorithms;
      const [expected, signWith] =
        this.#algorithms.length === 1
          ? [only, only]
          : [`one of ${this.#algorithms.join(', ')}`, 'one of these'];
      throw new AndonError(
        'ANDON_AUTH_WRONG_ALGORITHM',
        `The token ${used}, but this hub accepts only ${expected} for ${this.#role} tokens; sign it with ${signWith} and ${this.#keyName}.`,
      );
    }
    const options = { algorithms: [...this.#algorithms], clockTolerance: CLOCK_TOLERANCE_SECONDS };
    let payload: Record<string, unknown>;
    try {
      payload = (await verifyWithEachKey(token, this.#key, options)).payload;
    } catch (error) {
      throw this.#refusal(error, header);
    }
    return grants(payload);
  }

  /** Maps a jose failure to exactly one of our codes. */
  #refusal(error: unknown, header: Record<string, unknown>): AndonError {
    if (error instanceof AndonError) return error;
    const code = joseCode(error);
    const details = error as {
      claim?: unknown;
      reason?: unknown;
      payload?: { exp?: unknown; nbf?: unknown };
    };
    const now = Date.now() / 1000;
    if (code === 'ERR_JWT_EXPIRED' && typeof details.payload?.exp === 'number') {
      const exp = details.payload.exp;
      return new AndonError(
        'ANDON_AUTH_EXPIRED',
        `The ${this.#role} token expired at ${isoTime(exp)} (${span(now - exp)} ago); issue a new one.`,
      );
    }
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const claim = String(details.claim);
      const nbf = details.payload?.nbf;
      if (details.reason === 'check_failed' && claim === 'nbf' && typeof nbf === 'number') {
        return new AndonError(
          'ANDON_AUTH_NOT_YET_VALID',
          `The ${this.#role} token is not valid before ${isoTime(nbf)} (in ${span(nbf - now)}); check the clock of the machine that issued it.`,
        );
      }
      return malformed(`its "${claim}" claim must be a NumericDate (seconds since the epoch)`);
    }
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
      return new AndonError(
        'ANDON_AUTH_BAD_SIGNATURE',
        `The token's signature does not verify with ${this.#keyName}; sign ${this.#role} tokens with the key the hub holds for ${this.#role}s (a hub may use different publisher and subscriber keys).`,
      );
    }
    if (code === 'ERR_JWKS_NO_MATCHING_KEY') {
      const kid = header.kid === undefined ? 'no kid' : `kid ${echo(header.kid)}`;
      return new AndonError(
        'ANDON_AUTH_BAD_SIGNATURE',
        `No key among ${this.#keyName} matches this token (${kid}, alg ${echo(header.alg)}); sign it with a key the set publishes.`,
      );
    }
    if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') {
      return new AndonError(
        'ANDON_AUTH_WRONG_ALGORITHM',
        `The token's algorithm ${echo(header.alg)} is not accepted for ${this.#role} tokens.`,
      );
    }
    if (code !== undefined)
      return malformed(`its header or payload is not acceptable (${reason(error)})`);
    return new AndonError(
      'ANDON_AUTH_BAD_SIGNATURE',
      `The token could not be verified with ${this.#keyName} (${reason(error)}).`,
      { cause: error },
    );
  }
}

type VerifyOptions = { algorithms: string[]; clockTolerance: number };

/**
 * jose leaves several keys of a JWKS that match a token (same kty, no kid)
 * to the caller: try each, and report a signature failure only if all fail.
 */
async function verifyWithEachKey(
  token: string,
  key: KeyObject | Uint8Array | JWTVerifyGetKey,
  options: VerifyOptions,
): Promise<{ payload: Record<string, unknown> }> {
  try {
    return typeof key === 'function'
      ? await jwtVerify(token, key, options)
      : await jwtVerify(token, key, options);
  } catch (error) {
    if (joseCode(error) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
    let last: unknown = error;
    for await (const candidate of error as AsyncIterable<KeyObject>) {
      try {
        return await jwtVerify(token, candidate, options);
      } catch (failure) {
        if (joseCode(failure) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw failure;
        last = failure;
      }
    }
    throw last;
  }
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} (seconds since the epoch)` : date.toISOString();
}

/** A human span: "42 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
function span(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}
