/** The JWS algorithms Andon accepts, and the check of a configured one. */
import { AndonError } from '../../errors.js';
import { echo } from './messages.js';

/** The JWS algorithms Andon signs and verifies with (those jose supports on Node 20). */
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** A JWS algorithm Andon accepts; see {@link JWT_ALGORITHMS}. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** The algorithm used when none is configured: Mercure's default, HMAC with SHA-256. */
export const DEFAULT_JWT_ALGORITHM: JwtAlgorithm = 'HS256';

/** The configured algorithm, or undefined when none is; throws `code`, naming `setting`, for an unsupported one. */
export function checkAlgorithm(
  alg: unknown,
  setting: string,
  code: 'ANDON_INVALID_SETTING' | 'ANDON_INVALID_OPTION',
): JwtAlgorithm | undefined {
  if (alg === undefined) return undefined;
  if (typeof alg === 'string' && (JWT_ALGORITHMS as readonly string[]).includes(alg)) {
    return alg as JwtAlgorithm;
  }
  throw new AndonError(
    code,
    `${setting}: ${echo(alg)} is not a supported JWT algorithm; use one of ${JWT_ALGORITHMS.join(', ')}.`,
  );
}
