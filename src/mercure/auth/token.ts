/**
 * A compact JWS as read around jose's verification: its shape and header
 * before, the grants of its claims after. A token that fails here is
 * `ANDON_AUTH_MALFORMED`.
 */
import { AndonError } from '../../errors.js';
import { echo } from './messages.js';

/** The `mercure` claim of a verified token. */
export interface MercureClaims {
  /** Topic selectors the bearer may publish to. */
  readonly publish?: readonly string[];
  /** Topic selectors the bearer may subscribe to. */
  readonly subscribe?: readonly string[];
  /** Any JSON, attached to the bearer's subscriptions. */
  readonly payload?: unknown;
}

/** What a verified token grants. */
export interface VerifiedToken {
  /** The `mercure` claim, or undefined when the token has none. */
  readonly mercure: MercureClaims | undefined;
  /** The `exp` claim in seconds since the epoch, or undefined when the token does not expire. */
  readonly exp: number | undefined;
  /** The `sub` claim, or undefined. */
  readonly subject: string | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks the token's shape and returns its header; the signature is checked later, by jose. */
export function inspect(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length === 5) {
    return fail('it is an encrypted JWE (five parts); Mercure needs a signed JWS');
  }
  if (parts.length !== 3) {
    const has = parts.length === 1 ? 'is a single piece' : `has ${parts.length} parts`;
    return fail(`it ${has}; a compact JWS has three, header.payload.signature, separated by dots`);
  }
  const header = decodePart(parts[0]!, 'header (first part)');
  decodePart(parts[1]!, 'payload (second part)');
  if (typeof header.alg !== 'string' || header.alg === '') {
    return fail('its header (first part) has no "alg"');
  }
  const signature = parts[2]!;
  if (header.alg !== 'none' && (signature === '' || !BASE64URL.test(signature))) {
    return fail('its signature (third part) is empty or not base64url');
  }
  return header;
}

function decodePart(part: string, name: string): Record<string, unknown> {
  if (part === '' || !BASE64URL.test(part) || part.length % 4 === 1) {
    return fail(`its ${name} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    return fail(`its ${name} is not base64url-encoded JSON`);
  }
  if (!isObject(value)) return fail(`its ${name} is not a JSON object`);
  return value;
}

/** What a verified payload grants; throws `ANDON_AUTH_MALFORMED` for a `sub` or `mercure` claim of the wrong shape. */
export function grants(payload: Record<string, unknown>): VerifiedToken {
  const sub = payload.sub;
  if (sub !== undefined && typeof sub !== 'string') {
    return fail(`its "sub" claim must be a string, not ${kind(sub)}`);
  }
  const exp = typeof payload.exp === 'number' ? payload.exp : undefined;
  const claim = payload.mercure;
  if (claim === undefined) return { mercure: undefined, exp, subject: sub };
  if (!isObject(claim)) {
    return fail(
      `its "mercure" claim must be a JSON object with publish, subscribe and payload, not ${kind(claim)}`,
    );
  }
  const mercure: { publish?: readonly string[]; subscribe?: readonly string[]; payload?: unknown } =
    {};
  for (const name of ['publish', 'subscribe'] as const) {
    const selectors = claim[name];
    if (selectors === undefined) continue;
    if (!isStringArray(selectors)) {
      const hint =
        typeof selectors === 'string' ? `; wrap it in an array: [${echo(selectors)}]` : '';
      return fail(
        `its "mercure.${name}" claim must be an array of topic selectors (strings), not ${kind(selectors)}${hint}`,
      );
    }
    mercure[name] = selectors;
  }
  if ('payload' in claim) mercure.payload = claim.payload;
  return { mercure, exp, subject: sub };
}

function fail(why: string): never {
  throw malformed(why);
}

/** The `ANDON_AUTH_MALFORMED` error; `why` completes "The token is malformed: ". */
export function malformed(why: string): AndonError {
  return new AndonError('ANDON_AUTH_MALFORMED', `The token is malformed: ${why}.`);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an array of strings only (the shape of `mercure.publish` and `mercure.subscribe`). */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
