/** Signing Mercure tokens (`andon token`, tests). */
import { SignJWT } from 'jose';
import { AndonError } from '../../errors.js';
import { checkAlgorithm, DEFAULT_JWT_ALGORITHM, type JwtAlgorithm } from './algorithms.js';
import { readPrivateKey, readSecret } from './keys.js';
import { isStringArray } from './token.js';

/** Options of {@link signToken}. */
export interface SignTokenOptions {
  /** The HMAC secret (HS*), or a PEM private key (PKCS#8, PKCS#1 or SEC1) for the asymmetric algorithms. */
  readonly key: string;
  /** Signing algorithm. Default {@link DEFAULT_JWT_ALGORITHM}. */
  readonly alg?: JwtAlgorithm;
  /** `mercure.publish`: topic selectors the bearer may publish to. */
  readonly publish?: readonly string[];
  /** `mercure.subscribe`: topic selectors the bearer may subscribe to. */
  readonly subscribe?: readonly string[];
  /** `mercure.payload`: any JSON. */
  readonly payload?: unknown;
  /** Lifetime in seconds from now (`exp`). Default: no `exp`, the token never expires. A negative value makes an already expired token (for tests). */
  readonly expiresIn?: number;
  /** The `sub` claim. */
  readonly subject?: string;
}

/**
 * Signs a compact JWS carrying a `mercure` claim (present only if `publish`,
 * `subscribe` or `payload` is given), `iat`, and `exp`/`sub` when asked.
 * Throws `ANDON_INVALID_OPTION` for a bad algorithm, key or claim; the
 * message never contains the key.
 */
export async function signToken(options: SignTokenOptions): Promise<string> {
  const alg =
    checkAlgorithm(options.alg, 'signToken alg', 'ANDON_INVALID_OPTION') ?? DEFAULT_JWT_ALGORITHM;
  const invalid = (why: string) =>
    new AndonError('ANDON_INVALID_OPTION', `signToken: the signing key ${why}`);
  const signingKey = alg.startsWith('HS')
    ? readSecret(options.key, alg, invalid)
    : readPrivateKey(options.key, alg, invalid);
  const mercure: Record<string, unknown> = {};
  for (const claim of ['publish', 'subscribe'] as const) {
    const selectors = options[claim];
    if (selectors === undefined) continue;
    if (!isStringArray(selectors)) {
      throw new AndonError(
        'ANDON_INVALID_OPTION',
        `signToken: ${claim} must be an array of strings.`,
      );
    }
    mercure[claim] = [...selectors];
  }
  if (options.payload !== undefined) mercure.payload = options.payload;
  const claims: Record<string, unknown> = {};
  if (Object.keys(mercure).length > 0) claims.mercure = mercure;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt();
  if (options.expiresIn !== undefined) {
    if (typeof options.expiresIn !== 'number' || !Number.isFinite(options.expiresIn)) {
      throw new AndonError(
        'ANDON_INVALID_OPTION',
        'signToken: expiresIn must be a finite number of seconds.',
      );
    }
    jwt.setExpirationTime(Math.floor(Date.now() / 1000) + Math.ceil(options.expiresIn));
  }
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  return jwt.sign(signingKey);
}
