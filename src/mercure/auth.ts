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
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import { AndonError } from '../errors.js';

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

/**
 * Seconds of clock difference tolerated on `exp` and `nbf`. Clocks synced by
 * NTP agree within milliseconds, but a publisher on an unsynced VM that sets
 * `nbf` to "now" would otherwise be refused for a second of skew; 5 s absorbs
 * that while keeping an expired token usable for at most 5 s more.
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** The smallest RSA modulus accepted: jose refuses shorter keys (RFC 7518 §3.3). */
const MIN_RSA_BITS = 2048;

/** Longest echo of a token-supplied string (alg, kid) in a message: enough to recognise it, too short to flood a log. */
const MAX_ECHO_LENGTH = 40;

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

/** Verifies the tokens of one role (publisher or subscriber). */
export interface Verifier {
  /** Resolves with the token's grants, or rejects with an `ANDON_AUTH_*` {@link AndonError}. */
  verify(token: string): Promise<VerifiedToken>;
}

/** Who presents the tokens a verifier checks. */
export type Role = 'publisher' | 'subscriber';

const ASYMMETRIC_ALGORITHMS: readonly JwtAlgorithm[] = JWT_ALGORITHMS.filter(
  (alg) => !alg.startsWith('HS'),
);
const PEM = /-----BEGIN ([A-Z0-9 ]+)-----/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The curve each ECDSA algorithm needs (Node's names). */
const EC_CURVES: Readonly<Record<string, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/** How messages name Node's curves: the names JOSE and openssl users know. */
const CURVE_NAMES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** How messages name Node's key types, with their article. */
const KEY_TYPE_NAMES: Readonly<Record<string, string>> = {
  rsa: 'an RSA',
  'rsa-pss': 'an RSA-PSS',
  dsa: 'a DSA',
  ed25519: 'an Ed25519',
  ed448: 'an Ed448',
  x25519: 'an X25519',
  x448: 'an X448',
  dh: 'a DH',
};

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

class NoKeyVerifier implements Verifier {
  readonly #message: string;

  constructor(role: Role, setting: string) {
    this.#message = `This hub has no ${role} key configured, so it cannot verify ${role} tokens; set ${setting}.`;
  }

  verify(): Promise<VerifiedToken> {
    return Promise.reject(new AndonError('ANDON_AUTH_NO_KEY', this.#message));
  }
}

class JwtVerifier implements Verifier {
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

/** Checks the token's shape and returns its header; the signature is checked later, by jose. */
function inspect(token: string): Record<string, unknown> {
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

function grants(payload: Record<string, unknown>): VerifiedToken {
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

function readSecret(
  key: string,
  alg: JwtAlgorithm,
  invalid: (why: string) => AndonError,
): Uint8Array {
  if (typeof key !== 'string' || key === '') throw invalid('is empty; give the shared secret.');
  const pem = PEM.exec(key);
  if (pem !== null) {
    throw invalid(
      `is a PEM ${pem[1]!.toLowerCase()}, but ${alg} needs a shared secret; set the algorithm to RS256, ES256 or another asymmetric one to use a PEM key.`,
    );
  }
  return new TextEncoder().encode(key);
}

function readPublicKey(
  key: string,
  alg: JwtAlgorithm,
  invalid: (why: string) => AndonError,
): KeyObject {
  const pem = readPem(key, alg, 'a PEM public key or certificate', invalid);
  if (/PRIVATE KEY/.test(pem.label)) {
    throw invalid(
      `is a private key; give the hub the public key instead (openssl pkey -pubout), and keep the private one with the token issuer.`,
    );
  }
  let parsed: KeyObject;
  try {
    parsed = createPublicKey(pem.text);
  } catch {
    throw invalid(
      `could not be parsed as a PEM ${pem.label.toLowerCase()}; check it is complete and unaltered.`,
    );
  }
  return checkFits(parsed, alg, invalid);
}

function readPrivateKey(
  key: string,
  alg: JwtAlgorithm,
  invalid: (why: string) => AndonError,
): KeyObject {
  const pem = readPem(key, alg, 'a PEM private key', invalid);
  if (!/PRIVATE KEY/.test(pem.label)) {
    throw invalid(`is a PEM ${pem.label.toLowerCase()}; signing needs the private key.`);
  }
  let parsed: KeyObject;
  try {
    parsed = createPrivateKey(pem.text);
  } catch {
    throw invalid(
      `could not be parsed as a PEM ${pem.label.toLowerCase()}; check it is complete, unaltered and not encrypted.`,
    );
  }
  return checkFits(parsed, alg, invalid);
}

function readPem(
  key: string,
  alg: JwtAlgorithm,
  expected: string,
  invalid: (why: string) => AndonError,
): { text: string; label: string } {
  if (typeof key !== 'string' || key === '') throw invalid(`is empty; ${alg} needs ${expected}.`);
  // One-line environment variables often carry a PEM with literal "\n".
  const text = key.includes('\n') ? key : key.replaceAll('\\n', '\n');
  const label = PEM.exec(text)?.[1];
  if (label === undefined) {
    throw invalid(
      `looks like a shared secret, but ${alg} needs ${expected}; use HS256 for a secret.`,
    );
  }
  return { text, label };
}

/** Refuses a key whose type or size cannot serve `alg` (checked once here rather than on every token). */
function checkFits(
  key: KeyObject,
  alg: JwtAlgorithm,
  invalid: (why: string) => AndonError,
): KeyObject {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  let fits: boolean;
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    fits = type === 'rsa';
    if (fits && (details.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw invalid(
        `is a ${details.modulusLength}-bit RSA key; ${alg} needs at least ${MIN_RSA_BITS} bits.`,
      );
    }
  } else if (alg === 'EdDSA') {
    fits = type === 'ed25519';
  } else {
    fits = type === 'ec' && details.namedCurve === EC_CURVES[alg];
  }
  if (!fits) {
    const what =
      type === 'ec'
        ? `an EC ${CURVE_NAMES[details.namedCurve ?? ''] ?? details.namedCurve ?? ''} key`
        : `${KEY_TYPE_NAMES[type ?? ''] ?? `a ${type ?? 'unknown'}`} key`;
    throw invalid(
      `is ${what}, which cannot be used with ${alg}; set the algorithm that matches the key.`,
    );
  }
  return key;
}

function checkAlgorithm(
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

function fail(why: string): never {
  throw malformed(why);
}

function malformed(why: string): AndonError {
  return new AndonError('ANDON_AUTH_MALFORMED', `The token is malformed: ${why}.`);
}

function joseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^ERR_(JOSE|JWT|JWS|JWK|JWKS|JWE)_/.test(code)
    ? code
    : undefined;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Quotes an untrusted value for a message: JSON escapes control characters; length is capped. */
function echo(value: unknown): string {
  const text = JSON.stringify(String(value));
  return text.length > MAX_ECHO_LENGTH ? `${text.slice(0, MAX_ECHO_LENGTH)}…"` : text;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
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
