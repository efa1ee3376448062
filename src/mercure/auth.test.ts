import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AndonError, type AndonErrorCode } from '../errors.js';
import {
  CLOCK_TOLERANCE_SECONDS,
  createVerifier,
  type KeyConfig,
  signToken,
  type Verifier,
} from './auth.js';

const SECRET = 'a-test-secret-that-must-never-appear-in-messages';
const OTHER_SECRET = 'another-secret-also-never-in-messages';
const PUB = 'MERCURE_PUBLISHER_JWT_KEY';
const SUB = 'MERCURE_SUBSCRIBER_JWT_KEY';

/** The token of the public Mercure conformance suite, and the key it is signed with. */
const CONFORMANCE_TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJtZXJjdXJlIjp7InB1Ymxpc2giOlsiKiJdLCJzdWJzY3JpYmUiOlsiKiJdfX0.bVXdlWXwfw9ySx7-iV5OpUSHo34RkjUdVzDLBcc6l_g';
const CONFORMANCE_KEY = '!ChangeThisMercureHubJWTSecretKey!';

/** A self-signed P-256 certificate (public material only) and a token signed by its private key, which is not kept. */
const CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBgDCCASegAwIBAgIUBdZiRJ9KqQARvzdRmWGwmK6qDj8wCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKYW5kb24tdGVzdDAgFw0yNjExMzAxMTU0MDFaGA8yMTI2MTEw
NjExNTQwMVowFTETMBEGA1UEAwwKYW5kb24tdGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABJV6wWQIOJbXcYDGlzp9kNoOQ2IwlJyBJVC6Mp4ak0SoGEfNAN+G
FplM/9qgVVEQF3+7JDGgZ2+LyRAKHdz2nrGjUzBRMB0GA1UdDgQWBBTE3+Kz0cpx
MyobBmxuzrRd8ErkuDAfBgNVHSMEGDAWgBTE3+Kz0cpxMyobBmxuzrRd8ErkuDAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIG72ISSHxDbtLlE4zBCD
GlrsR0SiP4Da62SDx3IXRWKxAiBHgAFMLbeXn837EG81chz4ZIHFC1TJLZywi8gM
pZKEwA==
-----END CERTIFICATE-----
`;
const CERTIFICATE_TOKEN =
  'eyJhbGciOiJFUzI1NiJ9.eyJtZXJjdXJlIjp7InN1YnNjcmliZSI6WyJodHRwczovL2V4YW1wbGUuY29tL2NlcnQiXX19.r3ca2jP5n1gSX8US19JCwDmDTxq5tLx3yOUso0d0kYABf1FUzT5fLrzLB-dmEsoXJksr7NJEjN2d5mpiO5stAw';

interface Pems {
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  readonly spki: string;
  readonly pkcs8: string;
}

async function pems(alg: 'RS256' | 'ES256' | 'ES384' | 'EdDSA' | 'PS256'): Promise<Pems> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    publicKey,
    privateKey,
    spki: await exportSPKI(publicKey),
    pkcs8: await exportPKCS8(privateKey),
  };
}

/** Every secret a message could leak: the HMAC secrets and each line of every PEM. */
const secrets: string[] = [SECRET, OTHER_SECRET];
function keep(pem: string): void {
  for (const line of pem.split('\n'))
    if (line.length > 16 && !line.startsWith('-----')) secrets.push(line);
}

function expectClean(message: string, token?: string): void {
  for (const secret of secrets) expect(message).not.toContain(secret);
  if (token !== undefined && token.length > 16) expect(message).not.toContain(token);
}

/** Verifies `token`, expects a refusal with `code`, and checks the message leaks nothing. */
async function refusal(verifier: Verifier, token: string, code: AndonErrorCode): Promise<string> {
  const error: unknown = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AndonError);
  const andon = error as AndonError;
  expect({ code: andon.code, message: andon.message }).toMatchObject({ code });
  expectClean(andon.message, token);
  return andon.message;
}

/** Builds a verifier and expects ANDON_INVALID_SETTING naming the setting. */
function invalidSetting(config: KeyConfig, setting = PUB): string {
  let error: unknown;
  try {
    createVerifier(config, 'publisher', setting);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AndonError);
  expect((error as AndonError).code).toBe('ANDON_INVALID_SETTING');
  const message = (error as AndonError).message;
  expect(message).toContain(setting);
  expectClean(message);
  return message;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const hs256 = (claims: Record<string, unknown>, secret = SECRET): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

let rsa: Pems;
let ec: Pems;

beforeAll(async () => {
  rsa = await pems('RS256');
  ec = await pems('ES256');
  keep(rsa.spki);
  keep(rsa.pkcs8);
  keep(ec.spki);
  keep(ec.pkcs8);
});

describe('HS256', () => {
  it('round-trips every claim', async () => {
    const token = await signToken({
      key: SECRET,
      publish: ['https://example.com/books/{id}'],
      subscribe: ['*'],
      payload: { user: 'https://example.com/users/1', roles: ['admin'] },
      expiresIn: 3600,
      subject: 'alice',
    });
    const verified = await createVerifier({ key: SECRET }, 'publisher', PUB).verify(token);
    expect(verified.mercure).toEqual({
      publish: ['https://example.com/books/{id}'],
      subscribe: ['*'],
      payload: { user: 'https://example.com/users/1', roles: ['admin'] },
    });
    expect(verified.subject).toBe('alice');
    const now = Math.floor(Date.now() / 1000);
    expect(verified.exp).toBeGreaterThanOrEqual(now + 3599);
    expect(verified.exp).toBeLessThanOrEqual(now + 3601);
  });

  it('gives no mercure claim, exp or subject when the token has none', async () => {
    const token = await signToken({ key: SECRET });
    const verified = await createVerifier({ key: SECRET }, 'subscriber', SUB).verify(token);
    expect(verified).toEqual({ mercure: undefined, exp: undefined, subject: undefined });
  });

  it('keeps a null payload, and leaves absent selectors absent', async () => {
    const token = await hs256({ mercure: { payload: null } });
    const verified = await createVerifier({ key: SECRET }, 'subscriber', SUB).verify(token);
    expect(verified.mercure).toEqual({ payload: null });
    expect(verified.mercure && 'publish' in verified.mercure).toBe(false);
  });

  it('verifies the public conformance suite token with !ChangeThisMercureHubJWTSecretKey!', async () => {
    const verifier = createVerifier({ key: CONFORMANCE_KEY, alg: 'HS256' }, 'publisher', PUB);
    const verified = await verifier.verify(CONFORMANCE_TOKEN);
    expect(verified).toEqual({
      mercure: { publish: ['*'], subscribe: ['*'] },
      exp: undefined,
      subject: undefined,
    });
    await refusal(
      createVerifier({ key: '!ChangeMe!' }, 'publisher', PUB),
      CONFORMANCE_TOKEN,
      'ANDON_AUTH_BAD_SIGNATURE',
    );
  });

  it('verifies HS384 and HS512 when configured', async () => {
    for (const alg of ['HS384', 'HS512'] as const) {
      const token = await signToken({ key: SECRET, alg, subscribe: ['a'] });
      const verified = await createVerifier({ key: SECRET, alg }, 'subscriber', SUB).verify(token);
      expect(verified.mercure?.subscribe).toEqual(['a']);
    }
  });
});

describe('asymmetric keys', () => {
  it('round-trips RS256 with a PEM SPKI public key and a PKCS#8 private key', async () => {
    const token = await signToken({ key: rsa.pkcs8, alg: 'RS256', publish: ['*'] });
    const verifier = createVerifier({ key: rsa.spki, alg: 'RS256' }, 'publisher', PUB);
    expect((await verifier.verify(token)).mercure).toEqual({ publish: ['*'] });
  });

  it('reads a PEM written on one line with literal \\n, as environment variables carry it', async () => {
    const oneLine = rsa.spki.replaceAll('\n', '\\n');
    const token = await signToken({ key: rsa.pkcs8.replaceAll('\n', '\\n'), alg: 'RS256' });
    await createVerifier({ key: oneLine, alg: 'RS256' }, 'publisher', PUB).verify(token);
  });

  it('round-trips ES256', async () => {
    const token = await signToken({ key: ec.pkcs8, alg: 'ES256', subscribe: ['/a'] });
    const verifier = createVerifier({ key: ec.spki, alg: 'ES256' }, 'subscriber', SUB);
    expect((await verifier.verify(token)).mercure).toEqual({ subscribe: ['/a'] });
  });

  it('round-trips PS256 and EdDSA', async () => {
    for (const alg of ['PS256', 'EdDSA'] as const) {
      const pair = await pems(alg);
      keep(pair.pkcs8);
      const token = await signToken({ key: pair.pkcs8, alg, publish: ['x'] });
      const verified = await createVerifier({ key: pair.spki, alg }, 'publisher', PUB).verify(
        token,
      );
      expect(verified.mercure?.publish).toEqual(['x']);
    }
  });

  it('accepts an X.509 certificate as the public key', async () => {
    const verifier = createVerifier({ key: CERTIFICATE, alg: 'ES256' }, 'subscriber', SUB);
    const verified = await verifier.verify(CERTIFICATE_TOKEN);
    expect(verified.mercure).toEqual({ subscribe: ['https://example.com/cert'] });
    const stranger = await signToken({ key: ec.pkcs8, alg: 'ES256' });
    await refusal(verifier, stranger, 'ANDON_AUTH_BAD_SIGNATURE');
  });

  it('refuses a token signed by another key of the same kind', async () => {
    const other = await pems('RS256');
    const token = await signToken({ key: other.pkcs8, alg: 'RS256' });
    const message = await refusal(
      createVerifier({ key: rsa.spki, alg: 'RS256' }, 'publisher', PUB),
      token,
      'ANDON_AUTH_BAD_SIGNATURE',
    );
    expect(message).toContain('publisher');
    expect(message).toContain(PUB);
    expect(message).toContain('RS256');
  });
});

describe('separate publisher and subscriber keys', () => {
  it('does not accept a subscriber token as a publisher one', async () => {
    const publishers = createVerifier({ key: SECRET }, 'publisher', PUB);
    const subscribers = createVerifier({ key: OTHER_SECRET }, 'subscriber', SUB);
    const subscriberToken = await signToken({ key: OTHER_SECRET, publish: ['*'] });
    await subscribers.verify(subscriberToken);
    const message = await refusal(publishers, subscriberToken, 'ANDON_AUTH_BAD_SIGNATURE');
    expect(message).toContain("the hub's publisher key (MERCURE_PUBLISHER_JWT_KEY, HS256)");
  });

  it('does not accept a publisher RS256 token with the subscriber ES256 key', async () => {
    const publisherToken = await signToken({ key: rsa.pkcs8, alg: 'RS256', publish: ['*'] });
    const subscribers = createVerifier({ key: ec.spki, alg: 'ES256' }, 'subscriber', SUB);
    const message = await refusal(subscribers, publisherToken, 'ANDON_AUTH_WRONG_ALGORITHM');
    expect(message).toContain('"RS256"');
    expect(message).toContain('ES256');
  });
});

describe('algorithms', () => {
  it('refuses alg "none"', async () => {
    const unsigned = `${b64({ alg: 'none' })}.${b64({ mercure: { publish: ['*'] } })}.`;
    for (const config of [{ key: SECRET }, { key: rsa.spki, alg: 'RS256' }] as const) {
      const message = await refusal(
        createVerifier(config, 'publisher', PUB),
        unsigned,
        'ANDON_AUTH_WRONG_ALGORITHM',
      );
      expect(message).toContain('unsigned');
      expect(message).toContain('none');
    }
    const typed = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ mercure: { publish: ['*'] } })}.`;
    await refusal(
      createVerifier({ key: SECRET }, 'publisher', PUB),
      typed,
      'ANDON_AUTH_WRONG_ALGORITHM',
    );
  });

  it('refuses algorithm confusion: HS256 signed with the RSA public key as the secret', async () => {
    const forged = await new SignJWT({ mercure: { publish: ['*'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(rsa.spki));
    const message = await refusal(
      createVerifier({ key: rsa.spki, alg: 'RS256' }, 'publisher', PUB),
      forged,
      'ANDON_AUTH_WRONG_ALGORITHM',
    );
    expect(message).toContain('"HS256"');
    expect(message).toContain('RS256');
  });

  it('accepts only the configured HMAC variant', async () => {
    const token = await signToken({ key: SECRET, alg: 'HS512' });
    const message = await refusal(
      createVerifier({ key: SECRET }, 'subscriber', SUB),
      token,
      'ANDON_AUTH_WRONG_ALGORITHM',
    );
    expect(message).toContain('"HS512"');
    expect(message).toContain('HS256');
  });

  it('quotes a hostile alg without its control characters, and short', async () => {
    const token = `${b64({ alg: `x\r\nInjected: yes${'A'.repeat(500)}` })}.${b64({})}.c2ln`;
    const message = await refusal(
      createVerifier({ key: SECRET }, 'publisher', PUB),
      token,
      'ANDON_AUTH_WRONG_ALGORITHM',
    );
    expect(message).not.toMatch(/[\r\n]/);
    expect(message.length).toBeLessThan(300);
  });
});

describe('time', () => {
  it('refuses an expired token, saying when and how long ago', async () => {
    const token = await signToken({ key: SECRET, expiresIn: -125 });
    const exp = Math.floor(Date.now() / 1000) - 125;
    const message = await refusal(
      createVerifier({ key: SECRET }, 'subscriber', SUB),
      token,
      'ANDON_AUTH_EXPIRED',
    );
    const iso = (s: number) => new Date(s * 1000).toISOString();
    expect([iso(exp), iso(exp - 1)].some((when) => message.includes(when))).toBe(true);
    expect(message).toMatch(/\(2 min \d+ s ago\)/);
  });

  it(`tolerates ${CLOCK_TOLERANCE_SECONDS} s of clock skew on exp`, async () => {
    const token = await signToken({ key: SECRET, expiresIn: -(CLOCK_TOLERANCE_SECONDS - 3) });
    await createVerifier({ key: SECRET }, 'subscriber', SUB).verify(token);
  });

  it('refuses a token whose nbf lies in the future', async () => {
    const nbf = Math.floor(Date.now() / 1000) + 3600;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore(nbf)
      .sign(new TextEncoder().encode(SECRET));
    const message = await refusal(
      createVerifier({ key: SECRET }, 'publisher', PUB),
      token,
      'ANDON_AUTH_NOT_YET_VALID',
    );
    expect(message).toContain(new Date(nbf * 1000).toISOString());
    expect(message).toContain('clock');
  });

  it('refuses an exp that is not a number as malformed', async () => {
    const token = await hs256({ exp: 'tomorrow' });
    const message = await refusal(
      createVerifier({ key: SECRET }, 'publisher', PUB),
      token,
      'ANDON_AUTH_MALFORMED',
    );
    expect(message).toContain('"exp"');
  });
});

describe('malformed and forged tokens', () => {
  const verifier = () => createVerifier({ key: SECRET }, 'publisher', PUB);

  it('refuses a tampered payload as a bad signature', async () => {
    const token = await signToken({ key: SECRET, publish: ['/mine'] });
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64({ mercure: { publish: ['*'] } })}.${signature}`;
    await refusal(verifier(), tampered, 'ANDON_AUTH_BAD_SIGNATURE');
  });

  it('refuses a tampered signature', async () => {
    const token = await signToken({ key: SECRET });
    const flipped = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    await refusal(verifier(), flipped, 'ANDON_AUTH_BAD_SIGNATURE');
  });

  it.each([
    ['garbage', 'single piece; a compact JWS has three'],
    ['a.b', 'has 2 parts'],
    ['a.b.c.d', 'has 4 parts'],
    ['a.b.c.d.e', 'encrypted JWE'],
    ['!!!.e30.c2ln', 'header (first part)'],
    [`${b64('text')}.e30.c2ln`, 'header (first part) is not a JSON object'],
    [`${b64(['HS256'])}.e30.c2ln`, 'header (first part) is not a JSON object'],
    [`${Buffer.from('{"alg":').toString('base64url')}.e30.c2ln`, 'header (first part)'],
    [`${b64({ typ: 'JWT' })}.e30.c2ln`, 'no "alg"'],
    [`${b64({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}.c2ln`, 'payload'],
    [`${b64({ alg: 'HS256' })}..c2ln`, 'payload (second part)'],
    [`${b64({ alg: 'HS256' })}.${b64(42)}.c2ln`, 'payload (second part) is not a JSON object'],
    [`${b64({ alg: 'HS256' })}.e30.`, 'signature'],
    [`${b64({ alg: 'HS256' })}.e30.a+b/`, 'signature'],
  ])('refuses %s as malformed (%s)', async (token, part) => {
    const message = await refusal(verifier(), token, 'ANDON_AUTH_MALFORMED');
    expect(message).toContain(part);
  });

  it('refuses an empty token as no token', async () => {
    await refusal(verifier(), '', 'ANDON_AUTH_NO_TOKEN');
  });

  it('refuses a header with an unknown critical extension', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', crit: ['exp-ext'], 'exp-ext': 1 } as never)
      .sign(new TextEncoder().encode(SECRET))
      .catch(() => undefined);
    // jose may refuse to produce it; craft it by hand then (the signature is irrelevant: it fails first).
    const crafted = token ?? `${b64({ alg: 'HS256', crit: ['exp-ext'], 'exp-ext': 1 })}.e30.c2ln`;
    await refusal(verifier(), crafted, 'ANDON_AUTH_MALFORMED');
  });
});

describe('claim shapes', () => {
  const verifier = () => createVerifier({ key: SECRET }, 'subscriber', SUB);

  it.each([
    [{ mercure: 'publish' }, '"mercure"'],
    [{ mercure: null }, '"mercure"'],
    [{ mercure: ['*'] }, '"mercure"'],
    [{ mercure: { publish: '*' } }, '"mercure.publish"'],
    [{ mercure: { publish: { 0: '*' } } }, '"mercure.publish"'],
    [{ mercure: { subscribe: ['a', 1] } }, '"mercure.subscribe"'],
    [{ mercure: { subscribe: null } }, '"mercure.subscribe"'],
    [{ sub: 5 }, '"sub"'],
  ])('refuses %j as malformed, naming %s', async (claims, name) => {
    const message = await refusal(verifier(), await hs256(claims), 'ANDON_AUTH_MALFORMED');
    expect(message).toContain(name);
  });

  it('suggests an array when a selector is a bare string', async () => {
    const message = await refusal(
      verifier(),
      await hs256({ mercure: { subscribe: '/books/1' } }),
      'ANDON_AUTH_MALFORMED',
    );
    expect(message).toContain('["/books/1"]');
  });
});

describe('no key', () => {
  it.each([[undefined], [{}], [{ alg: 'RS256' } as const]])(
    'rejects every token with ANDON_AUTH_NO_KEY for config %j',
    async (config) => {
      const verifier = createVerifier(config, 'subscriber', SUB);
      const message = await refusal(
        verifier,
        await signToken({ key: SECRET }),
        'ANDON_AUTH_NO_KEY',
      );
      expect(message).toBe(
        'This hub has no subscriber key configured, so it cannot verify subscriber tokens; set MERCURE_SUBSCRIBER_JWT_KEY.',
      );
    },
  );
});

describe('configuration', () => {
  it('refuses an unknown algorithm', () => {
    expect(invalidSetting({ key: SECRET, alg: 'HS257' as never })).toContain('"HS257"');
    invalidSetting({ key: SECRET, alg: 'none' as never });
  });

  it('refuses an empty key', () => {
    invalidSetting({ key: '' });
    invalidSetting({ key: '', alg: 'RS256' });
  });

  it('refuses a PEM for HS256', () => {
    expect(invalidSetting({ key: rsa.spki })).toContain('shared secret');
  });

  it('refuses a secret for RS256 and ES256', () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      expect(invalidSetting({ key: SECRET, alg })).toContain('PEM');
    }
  });

  it('refuses an unparsable PEM', () => {
    const broken = rsa.spki.replace(/\n[A-Za-z0-9+/]{20}/, '\n');
    expect(invalidSetting({ key: broken, alg: 'RS256' })).toContain('could not be parsed');
    invalidSetting({
      key: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----',
      alg: 'ES256',
    });
  });

  it('refuses a private key, pointing to the public one', () => {
    expect(invalidSetting({ key: rsa.pkcs8, alg: 'RS256' })).toContain('public key');
  });

  it('refuses a key that cannot serve the algorithm', async () => {
    expect(invalidSetting({ key: rsa.spki, alg: 'ES256' })).toContain('an RSA key');
    invalidSetting({ key: ec.spki, alg: 'RS256' });
    invalidSetting({ key: ec.spki, alg: 'EdDSA' });
    const p384 = await pems('ES384');
    expect(invalidSetting({ key: p384.spki, alg: 'ES256' })).toContain('EC P-384 key');
    invalidSetting({ key: CERTIFICATE, alg: 'ES384' });
  });

  it('refuses an RSA key shorter than 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    keep(spki);
    expect(invalidSetting({ key: spki, alg: 'RS256' })).toContain('1024-bit');
  });

  it('refuses a key together with a JWKS URL, an HMAC JWKS, and bad URLs', () => {
    invalidSetting({ key: SECRET, jwksUrl: 'https://example.com/jwks.json' });
    invalidSetting({ jwksUrl: 'https://example.com/jwks.json', alg: 'HS256' });
    invalidSetting({ jwksUrl: 'not a url' });
    invalidSetting({ jwksUrl: 'file:///etc/jwks.json' });
  });
});

describe('signToken', () => {
  it.each([
    [{ key: SECRET, alg: 'XS256' as never }, 'alg'],
    [{ key: '' }, 'empty'],
    [{ key: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----' }, 'shared secret'],
    [{ key: SECRET, alg: 'RS256' as const }, 'PEM'],
    [{ key: SECRET, publish: '*' as never }, 'publish'],
    [{ key: SECRET, expiresIn: Number.NaN }, 'expiresIn'],
  ])('refuses bad options %#', async (options, words) => {
    const error: unknown = await signToken(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AndonError);
    expect((error as AndonError).code).toBe('ANDON_INVALID_OPTION');
    expect((error as AndonError).message).toContain(words);
    expectClean((error as AndonError).message);
  });

  it('refuses to sign with a public key', async () => {
    const error: unknown = await signToken({ key: rsa.spki, alg: 'RS256' }).catch(
      (e: unknown) => e,
    );
    expect((error as AndonError).code).toBe('ANDON_INVALID_OPTION');
    expect((error as AndonError).message).toContain('private key');
    expectClean((error as AndonError).message);
  });
});

describe('JWKS URL', () => {
  let server: Server;
  let base: string;
  let requests = 0;
  let jwks: { keys: JWK[] } = { keys: [] };
  let extra: Pems;
  let twins: { keys: JWK[] } = { keys: [] };

  beforeAll(async () => {
    extra = await pems('RS256');
    keep(extra.pkcs8);
    jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ],
    };
    // Two RSA keys without kid: a token matches both, and only one verifies it.
    twins = { keys: [await exportJWK(extra.publicKey), await exportJWK(rsa.publicKey)] };
    server = createServer((req, res) => {
      requests += 1;
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      } else if (req.url === '/twins.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(twins));
      } else if (req.url === '/broken.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const withKid = (key: CryptoKey, alg: 'RS256' | 'ES256', kid: string) =>
    new SignJWT({ mercure: { subscribe: ['*'] } }).setProtectedHeader({ alg, kid }).sign(key);

  it('verifies RS256 and ES256 tokens by kid, fetching the set once', async () => {
    const verifier = createVerifier({ jwksUrl: `${base}/jwks.json` }, 'subscriber', SUB);
    const before = requests;
    const rs = await verifier.verify(await withKid(rsa.privateKey, 'RS256', 'rsa-1'));
    const es = await verifier.verify(await withKid(ec.privateKey, 'ES256', 'ec-1'));
    expect(rs.mercure).toEqual({ subscribe: ['*'] });
    expect(es.mercure).toEqual({ subscribe: ['*'] });
    expect(requests - before).toBe(1);
  });

  it('restricts the set to the configured algorithm', async () => {
    const verifier = createVerifier(
      { jwksUrl: `${base}/jwks.json`, alg: 'RS256' },
      'subscriber',
      SUB,
    );
    await verifier.verify(await withKid(rsa.privateKey, 'RS256', 'rsa-1'));
    await refusal(
      verifier,
      await withKid(ec.privateKey, 'ES256', 'ec-1'),
      'ANDON_AUTH_WRONG_ALGORITHM',
    );
  });

  it('refuses a token whose kid is not in the set, or signed by another key', async () => {
    const verifier = createVerifier({ jwksUrl: `${base}/jwks.json` }, 'subscriber', SUB);
    const unknown = await refusal(
      verifier,
      await withKid(rsa.privateKey, 'RS256', 'rotated-away'),
      'ANDON_AUTH_BAD_SIGNATURE',
    );
    expect(unknown).toContain('"rotated-away"');
    await refusal(
      verifier,
      await withKid(extra.privateKey, 'RS256', 'rsa-1'),
      'ANDON_AUTH_BAD_SIGNATURE',
    );
  });

  it('refuses HS256 tokens (the set holds no secrets)', async () => {
    const verifier = createVerifier({ jwksUrl: `${base}/jwks.json` }, 'publisher', PUB);
    await refusal(verifier, await signToken({ key: SECRET }), 'ANDON_AUTH_WRONG_ALGORITHM');
  });

  it('tries each key when several match a token without kid', async () => {
    const verifier = createVerifier({ jwksUrl: `${base}/twins.json` }, 'subscriber', SUB);
    const token = await signToken({ key: rsa.pkcs8, alg: 'RS256', subscribe: ['t'] });
    expect((await verifier.verify(token)).mercure).toEqual({ subscribe: ['t'] });
    const stranger = await signToken({ key: (await pems('RS256')).pkcs8, alg: 'RS256' });
    await refusal(verifier, stranger, 'ANDON_AUTH_BAD_SIGNATURE');
  });

  it('reports a set it cannot load as ANDON_AUTH_KEYS_UNAVAILABLE, naming the setting', async () => {
    const token = await withKid(rsa.privateKey, 'RS256', 'rsa-1');
    for (const path of ['/missing.json', '/broken.json']) {
      const verifier = createVerifier({ jwksUrl: `${base}${path}` }, 'subscriber', SUB);
      const message = await refusal(verifier, token, 'ANDON_AUTH_KEYS_UNAVAILABLE');
      expect(message).toContain(SUB);
      expect(message).toContain(path);
    }
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createVerifier(
      { jwksUrl: `http://127.0.0.1:${port}/jwks.json` },
      'subscriber',
      SUB,
    );
    await refusal(unreachable, token, 'ANDON_AUTH_KEYS_UNAVAILABLE');
  });
});
