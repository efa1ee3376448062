/**
 * Mercure authorization tokens: verifying the JWS a publisher or subscriber
 * presents, and signing one (`andon token`, tests).
 *
 * A verifier accepts exactly one configured algorithm (or, for a JWKS URL,
 * the asymmetric ones its keys allow), so `alg: none` and algorithm confusion
 * (an HMAC token "signed" with a public key) are refused before any signature
 * check. Every failure becomes one `ANDON_AUTH_*` error whose message says
 * what is wrong and how to fix it, and never contains the key or the token.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { AndonError } from '../errors.js';
import {
  checkAlgorithm,
  DEFAULT_JWT_ALGORITHM,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
} from './auth/algorithms.js';
import { readPublicKey, readSecret } from './auth/keys.js';
import { joseCode, reason } from './auth/messages.js';
import { JwtVerifier, NoKeyVerifier, type Role, type Verifier } from './auth/verifier.js';

export { type SignTokenOptions, signToken } from './auth/sign.js';
export type { MercureClaims, VerifiedToken } from './auth/token.js';
export { CLOCK_TOLERANCE_SECONDS } from './auth/verifier.js';
export { DEFAULT_JWT_ALGORITHM, JWT_ALGORITHMS, type JwtAlgorithm, type Role, type Verifier };

/** Where a verifier's key comes from. Validated by {@link createVerifier}. */
export interface KeyConfig {
  /**
   * The HMAC secret (HS*), or a PEM public key (SPKI `PUBLIC KEY`, PKCS#1
   * `RSA PUBLIC KEY`) or X.509 certificate for the asymmetric algorithms.
   * Literal `\n` sequences are read as newlines, so a PEM fits in one
   * environment variable. Mutually exclusive with `jwksUrl`.
   */
  readonly key?: string;
  /** The algorithm tokens must use. Default {@link DEFAULT_JWT_ALGORITHM} with `key`; with `jwksUrl`, any asymmetric one the key set allows. */
  readonly alg?: JwtAlgorithm;
  /**
   * An http(s) URL serving a JSON Web Key Set, fetched on first use and cached
   * by jose's `createRemoteJWKSet` (its defaults: 5 s fetch timeout, 10 min
   * cache, and at most one refetch per 30 s when a token names an unknown
   * `kid`, so forged kids cannot make the hub hammer the URL).
   */
  readonly jwksUrl?: string;
}

const ASYMMETRIC_ALGORITHMS: readonly JwtAlgorithm[] = JWT_ALGORITHMS.filter(
  (alg) => !alg.startsWith('HS'),
);

/**
 * Builds the verifier for one role. `setting` names where the key came from
 * (e.g. `MERCURE_PUBLISHER_JWT_KEY`); it appears in every message about the
 * key. A missing key is not an error here: the verifier then rejects every
 * token with `ANDON_AUTH_NO_KEY`. Throws `ANDON_INVALID_SETTING` for an
 * unknown algorithm, a PEM given for HS*, a secret given for an asymmetric
 * algorithm, an unparsable or private PEM, a key of the wrong type or size,
 * or a bad JWKS URL.
 */
export function createVerifier(
  config: KeyConfig | undefined,
  role: Role,
  setting: string,
): Verifier {
  const alg = checkAlgorithm(config?.alg, setting, 'ANDON_INVALID_SETTING');
  const { key, jwksUrl } = config ?? {};
  const invalid = (why: string) => new AndonError('ANDON_INVALID_SETTING', `${setting}: ${why}`);
  if (key !== undefined && jwksUrl !== undefined) {
    throw invalid('give either a key or a JWKS URL, not both.');
  }
  if (jwksUrl !== undefined) {
    if (alg?.startsWith('HS')) {
      throw invalid(`${alg} needs a shared secret, which a public JWKS URL cannot carry.`);
    }
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw invalid('the JWKS URL is not a valid URL.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw invalid(`the JWKS URL must be http(s), not ${url.protocol}.`);
    }
    const where = `${url.origin}${url.pathname}`;
    const jwks = createRemoteJWKSet(url);
    const getKey: JWTVerifyGetKey = async (header, token) => {
      try {
        return await jwks(header, token);
      } catch (error) {
        const code = joseCode(error);
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
          throw error;
        }
        throw new AndonError(
          'ANDON_AUTH_KEYS_UNAVAILABLE',
          `The hub could not load its ${role} keys from the JWKS at ${where} (${reason(error)}); check ${setting} and that the URL serves a JSON Web Key Set.`,
          { cause: error },
        );
      }
    };
    const algorithms = alg === undefined ? ASYMMETRIC_ALGORITHMS : [alg];
    return new JwtVerifier(getKey, algorithms, role, `the ${role} keys of the JWKS at ${where}`);
  }
  if (key === undefined) return new NoKeyVerifier(role, setting);
  const algorithm = alg ?? DEFAULT_JWT_ALGORITHM;
  const verificationKey = algorithm.startsWith('HS')
    ? readSecret(key, algorithm, invalid)
    : readPublicKey(key, algorithm, invalid);
  return new JwtVerifier(
    verificationKey,
    [algorithm],
    role,
    `the hub's ${role} key (${setting}, ${algorithm})`,
  );
}
