/**
 * Reading configured keys: HMAC secrets, PEM public and private keys, and
 * whether a key fits its algorithm. Every refusal goes through `invalid`,
 * which names the setting or option the key came from.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { AndonError } from '../../errors.js';
import type { JwtAlgorithm } from './algorithms.js';

/** The smallest RSA modulus accepted: jose refuses shorter keys (RFC 7518 §3.3). */
const MIN_RSA_BITS = 2048;

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----/;

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

/** The HMAC secret's bytes; refuses an empty key or a PEM. */
export function readSecret(
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

/** A PEM public key or certificate that fits `alg`; refuses a private key. */
export function readPublicKey(
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

/** A PEM private key that fits `alg`; refuses a public key. */
export function readPrivateKey(
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
