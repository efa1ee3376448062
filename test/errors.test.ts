/**
 * Pins the list of error codes: adding, removing or remapping one is a
 * visible change, made here on purpose.
 */
import { describe, expect, it } from 'vitest';
import { AndonError, ERROR_CODES, isAndonError } from '../src/errors.js';

describe('ERROR_CODES', () => {
  it('holds exactly these codes', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual([
      'ANDON_AUTH_BAD_SIGNATURE',
      'ANDON_AUTH_CLAIM_MISSING',
      'ANDON_AUTH_EXPIRED',
      'ANDON_AUTH_KEYS_UNAVAILABLE',
      'ANDON_AUTH_MALFORMED',
      'ANDON_AUTH_NOT_YET_VALID',
      'ANDON_AUTH_NO_KEY',
      'ANDON_AUTH_NO_TOKEN',
      'ANDON_AUTH_ORIGIN_FORBIDDEN',
      'ANDON_AUTH_TOPIC_FORBIDDEN',
      'ANDON_AUTH_WRONG_ALGORITHM',
      'ANDON_BODY_TOO_LARGE',
      'ANDON_CLOSED',
      'ANDON_INVALID_DATA',
      'ANDON_INVALID_FIELD',
      'ANDON_INVALID_OPTION',
      'ANDON_INVALID_RETRY',
      'ANDON_INVALID_SELECTOR',
      'ANDON_INVALID_SETTING',
      'ANDON_INVALID_SUBSCRIPTION',
      'ANDON_INVALID_UPDATE',
      'ANDON_METHOD_NOT_ALLOWED',
      'ANDON_NOT_FOUND',
      'ANDON_RATE_LIMITED',
      'ANDON_RESERVED_TOPIC',
      'ANDON_STORE_UNAVAILABLE',
      'ANDON_SUBSCRIBER_LIMIT',
      'ANDON_UNSUPPORTED_MEDIA_TYPE',
    ]);
  });

  it('maps each code to its HTTP status', () => {
    expect({ ...ERROR_CODES }).toStrictEqual({
      ANDON_AUTH_BAD_SIGNATURE: 401,
      ANDON_AUTH_CLAIM_MISSING: 403,
      ANDON_AUTH_EXPIRED: 401,
      ANDON_AUTH_KEYS_UNAVAILABLE: 503,
      ANDON_AUTH_MALFORMED: 401,
      ANDON_AUTH_NOT_YET_VALID: 401,
      ANDON_AUTH_NO_KEY: 401,
      ANDON_AUTH_NO_TOKEN: 401,
      ANDON_AUTH_ORIGIN_FORBIDDEN: 403,
      ANDON_AUTH_TOPIC_FORBIDDEN: 403,
      ANDON_AUTH_WRONG_ALGORITHM: 401,
      ANDON_BODY_TOO_LARGE: 413,
      ANDON_CLOSED: 503,
      ANDON_INVALID_DATA: 400,
      ANDON_INVALID_FIELD: 400,
      ANDON_INVALID_OPTION: 500,
      ANDON_INVALID_RETRY: 400,
      ANDON_INVALID_SELECTOR: 400,
      ANDON_INVALID_SETTING: 500,
      ANDON_INVALID_SUBSCRIPTION: 400,
      ANDON_INVALID_UPDATE: 400,
      ANDON_METHOD_NOT_ALLOWED: 405,
      ANDON_NOT_FOUND: 404,
      ANDON_RATE_LIMITED: 429,
      ANDON_RESERVED_TOPIC: 403,
      ANDON_STORE_UNAVAILABLE: 503,
      ANDON_SUBSCRIBER_LIMIT: 503,
      ANDON_UNSUPPORTED_MEDIA_TYPE: 415,
    });
  });

  it('names every code ANDON_ in upper snake case', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^ANDON_[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('AndonError', () => {
  it('carries its code, status, message and name', () => {
    const error = new AndonError('ANDON_INVALID_FIELD', 'The SSE "id" field must not contain LF.');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(AndonError);
    expect(error.name).toBe('AndonError');
    expect(error.code).toBe('ANDON_INVALID_FIELD');
    expect(error.status).toBe(400);
    expect(error.message).toBe('The SSE "id" field must not contain LF.');
    expect(error.stack).toContain('AndonError');
  });

  it('takes its status from the code', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      expect(new AndonError(code as keyof typeof ERROR_CODES, 'm').status).toBe(status);
    }
  });

  it('keeps a cause', () => {
    const cause = new Error('socket hang up');
    const error = new AndonError('ANDON_CLOSED', 'closed', { cause });
    expect(error.cause).toBe(cause);
  });
});

describe('isAndonError', () => {
  const error = new AndonError('ANDON_CLOSED', 'closed');

  it('recognizes an AndonError', () => {
    expect(isAndonError(error)).toBe(true);
  });

  it('checks the code when one is given', () => {
    expect(isAndonError(error, 'ANDON_CLOSED')).toBe(true);
    expect(isAndonError(error, 'ANDON_INVALID_DATA')).toBe(false);
  });

  it('refuses anything else, even a look-alike', () => {
    const lookAlike = Object.assign(new Error('closed'), { code: 'ANDON_CLOSED', status: 503 });
    for (const value of [
      new Error('x'),
      lookAlike,
      { code: 'ANDON_CLOSED' },
      'ANDON_CLOSED',
      null,
      undefined,
    ]) {
      expect(isAndonError(value)).toBe(false);
      expect(isAndonError(value, 'ANDON_CLOSED')).toBe(false);
    }
  });
});
