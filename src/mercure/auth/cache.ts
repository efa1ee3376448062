/**
 * A cache of verified tokens. Publishers and screens present the same token
 * on every request or reconnection; verifying it (jose, WebCrypto) costs far
 * more than the rest of a publish. A token string that verified once verifies
 * again until it expires, so the result is kept, bounded in count and time.
 * Refusals are never cached: a token refused for a transient reason (a key
 * set that could not be fetched) is checked afresh next time.
 */
import type { VerifiedToken } from './token.js';
import type { Verifier } from './verifier.js';

/** Tokens kept at once; the least recently used go first. */
export const TOKEN_CACHE_SIZE = 10_000;
/** Longest a verified token is trusted without checking it again (key rotation bounds this). */
export const TOKEN_CACHE_TTL_MS = 60_000;

interface Entry {
  readonly token: VerifiedToken;
  readonly until: number;
}

/** Wraps `verifier` with a cache of successful verifications. */
export function cachedVerifier(
  verifier: Verifier,
  size: number = TOKEN_CACHE_SIZE,
  ttlMs: number = TOKEN_CACHE_TTL_MS,
): Verifier {
  const entries = new Map<string, Entry>();
  return {
    async verify(token: string): Promise<VerifiedToken> {
      const now = Date.now();
      const hit = entries.get(token);
      if (hit !== undefined) {
        entries.delete(token);
        if (hit.until > now) {
          entries.set(token, hit);
          return hit.token;
        }
      }
      const verified = await verifier.verify(token);
      const expires = verified.exp === undefined ? Number.POSITIVE_INFINITY : verified.exp * 1000;
      const until = Math.min(now + ttlMs, expires);
      if (until > now) {
        entries.set(token, { token: verified, until });
        if (entries.size > size) {
          const oldest = entries.keys().next().value;
          if (oldest !== undefined) entries.delete(oldest);
        }
      }
      return verified;
    },
  };
}
