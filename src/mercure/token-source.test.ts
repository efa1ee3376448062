import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AndonError } from '../errors.js';
import { readCookie, readToken } from './token-source.js';

const JWS = 'eyJhbGciOiJIUzI1NiJ9.eyJtZXJjdXJlIjp7fX0.c2lnbmF0dXJl';

function request(headers: IncomingHttpHeaders): IncomingMessage {
  return { headers } as IncomingMessage;
}

function read(headers: IncomingHttpHeaders, query = '', cookieName?: string) {
  return readToken(request(headers), new URLSearchParams(query), cookieName);
}

function malformed(headers: IncomingHttpHeaders, query = ''): string {
  let error: unknown;
  try {
    read(headers, query);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AndonError);
  expect((error as AndonError).code).toBe('ANDON_AUTH_MALFORMED');
  return (error as AndonError).message;
}

describe('precedence', () => {
  it('uses the Authorization header over the query and the cookie', () => {
    expect(
      read(
        { authorization: 'Bearer from-header', cookie: 'mercureAuthorization=from-cookie' },
        'authorization=from-query',
      ),
    ).toEqual({ token: 'from-header', via: 'header' });
  });

  it('uses the query parameter over the cookie', () => {
    expect(
      read({ cookie: 'mercureAuthorization=from-cookie' }, 'authorization=from-query'),
    ).toEqual({
      token: 'from-query',
      via: 'query',
    });
  });

  it('uses the cookie when it is the only source', () => {
    expect(read({ cookie: `mercureAuthorization=${JWS}` })).toEqual({ token: JWS, via: 'cookie' });
  });

  it('returns undefined when the request carries no token', () => {
    expect(read({})).toBeUndefined();
    expect(read({ cookie: 'session=abc' }, 'topic=x')).toBeUndefined();
  });

  it('still uses a present but broken header, ignoring a good query and cookie', () => {
    malformed(
      { authorization: 'Basic dXNlcjpwYXNz', cookie: `mercureAuthorization=${JWS}` },
      `authorization=${JWS}`,
    );
  });
});

describe('Authorization header', () => {
  it.each([
    ['Bearer x.y.z', 'x.y.z'],
    ['bearer x.y.z', 'x.y.z'],
    ['BEARER x.y.z', 'x.y.z'],
    ['Bearer   x.y.z  ', 'x.y.z'],
    ['  Bearer\tx.y.z', 'x.y.z'],
  ])('reads %j', (header, token) => {
    expect(read({ authorization: header })).toEqual({ token, via: 'header' });
  });

  it('refuses another scheme, naming it and asking for Bearer', () => {
    const message = malformed({ authorization: 'Basic dXNlcjpwYXNz' });
    expect(message).toContain('Basic');
    expect(message).toContain('Bearer');
    expect(message).not.toContain('dXNlcjpwYXNz');
  });

  it('refuses a bare token without echoing it', () => {
    const message = malformed({ authorization: JWS });
    expect(message).toContain('Bearer');
    expect(message).not.toContain(JWS);
  });

  it.each([[''], ['   '], ['Bearer'], ['Bearer   '], ['Bearer a b']])('refuses %j', (header) => {
    expect(malformed({ authorization: header })).toContain('Bearer');
  });
});

describe('query parameter', () => {
  it('refuses an empty parameter rather than falling through to the cookie', () => {
    expect(malformed({ cookie: `mercureAuthorization=${JWS}` }, 'authorization=')).toContain(
      'empty',
    );
  });

  it('refuses a repeated parameter', () => {
    expect(malformed({}, 'authorization=a&authorization=b')).toContain('2 times');
  });

  it('decodes the parameter as URLSearchParams does', () => {
    expect(read({}, `topic=a&authorization=${JWS}&x=1`)).toEqual({ token: JWS, via: 'query' });
  });
});

describe('cookie', () => {
  it('finds the cookie among several, with or without spaces', () => {
    expect(readCookie(`a=1; mercureAuthorization=${JWS}; b=2`, 'mercureAuthorization')).toBe(JWS);
    expect(readCookie(`a=1;mercureAuthorization=${JWS};b=2`, 'mercureAuthorization')).toBe(JWS);
    expect(readCookie(`  mercureAuthorization = ${JWS}  ;`, 'mercureAuthorization')).toBe(JWS);
  });

  it('unquotes a quoted value', () => {
    expect(readCookie(`mercureAuthorization="${JWS}"`, 'mercureAuthorization')).toBe(JWS);
    expect(readCookie('mercureAuthorization="', 'mercureAuthorization')).toBe('"');
  });

  it('keeps = inside the value and decodes percent-encoding', () => {
    expect(readCookie('t=abc==; x=1', 't')).toBe('abc==');
    expect(readCookie('t=a%2Eb%2Ec', 't')).toBe('a.b.c');
    expect(readCookie('t=100%', 't')).toBe('100%');
  });

  it('matches the name exactly, case and all', () => {
    expect(
      readCookie('xmercureAuthorization=no; mercureauthorization=no', 'mercureAuthorization'),
    ).toBeUndefined();
    expect(readCookie('mercureAuthorizationX=no', 'mercureAuthorization')).toBeUndefined();
  });

  it('takes the first of two cookies with the name (the most specific path)', () => {
    expect(readCookie('t=first; t=second', 't')).toBe('first');
  });

  it('skips pairs without = and empty pieces', () => {
    expect(readCookie(';; flag; ; t=v;', 't')).toBe('v');
    expect(readCookie('', 't')).toBeUndefined();
    expect(readCookie(undefined, 't')).toBeUndefined();
  });

  it('treats an empty cookie as no token', () => {
    expect(read({ cookie: 'mercureAuthorization=; a=1' })).toBeUndefined();
    expect(read({ cookie: 'mercureAuthorization=""' })).toBeUndefined();
  });

  it('reads a custom cookie name, and ignores the default one then', () => {
    expect(read({ cookie: `mercureAuthorization=no; hubAuth=${JWS}` }, '', 'hubAuth')).toEqual({
      token: JWS,
      via: 'cookie',
    });
    expect(read({ cookie: 'mercureAuthorization=no' }, '', 'hubAuth')).toBeUndefined();
  });
});
