/**
 * Golden-byte tests of the wire format: exact text and bytes for each field,
 * and the refusals that keep a field from injecting others.
 */
import { describe, expect, it } from 'vitest';
import { type AndonErrorCode, isAndonError } from '../errors.js';
import {
  type EventFields,
  encodeComment,
  encodeEvent,
  encodeEventText,
  encodeRetry,
} from './encoder.js';

/** Runs `fn` and returns what it threw, failing the test if it returned. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned');
}

function expectAndonError(fn: () => unknown, code: AndonErrorCode): void {
  const error = thrown(fn);
  expect(isAndonError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

describe('encodeEventText', () => {
  it('writes a data-only event as one data line and a blank line', () => {
    expect(encodeEventText({ data: 'hello' })).toBe('data: hello\n\n');
  });

  it('writes id, event, retry and data in that order', () => {
    expect(encodeEventText({ id: '42', event: 'tick', retry: 3000, data: 'x' })).toBe(
      'id: 42\nevent: tick\nretry: 3000\ndata: x\n\n',
    );
  });

  it('omits absent and undefined fields', () => {
    expect(encodeEventText({ id: undefined, event: undefined, retry: undefined, data: 'x' })).toBe(
      'data: x\n\n',
    );
  });

  it("omits an empty event type (the client's default, message)", () => {
    expect(encodeEventText({ event: '', data: 'x' })).toBe('data: x\n\n');
  });

  it('keeps an empty id, which resets the last event id', () => {
    expect(encodeEventText({ id: '', data: 'x' })).toBe('id: \ndata: x\n\n');
  });

  it('writes retry 0', () => {
    expect(encodeEventText({ retry: 0, data: 'x' })).toBe('retry: 0\ndata: x\n\n');
  });

  it('gives empty data one empty data line', () => {
    expect(encodeEventText({ data: '' })).toBe('data: \n\n');
  });

  it('splits data on LF into several data lines', () => {
    expect(encodeEventText({ data: 'a\nb\nc' })).toBe('data: a\ndata: b\ndata: c\n\n');
  });

  it('splits data on CRLF as one break', () => {
    expect(encodeEventText({ data: 'a\r\nb' })).toBe('data: a\ndata: b\n\n');
  });

  it('splits data on a lone CR', () => {
    expect(encodeEventText({ data: 'a\rb' })).toBe('data: a\ndata: b\n\n');
  });

  it('splits mixed breaks, with LF then CR counting as two breaks', () => {
    expect(encodeEventText({ data: 'a\r\nb\rc\nd\n\re' })).toBe(
      'data: a\ndata: b\ndata: c\ndata: d\ndata: \ndata: e\n\n',
    );
  });

  it('keeps leading, trailing and consecutive breaks as empty data lines', () => {
    expect(encodeEventText({ data: '\nmid\n\n' })).toBe('data: \ndata: mid\ndata: \ndata: \n\n');
    expect(encodeEventText({ data: '\r\n' })).toBe('data: \ndata: \n\n');
  });

  it('preserves leading spaces in data (the parser strips exactly one)', () => {
    expect(encodeEventText({ data: ' a' })).toBe('data:  a\n\n');
    expect(encodeEventText({ data: '  two\n three' })).toBe('data:   two\ndata:  three\n\n');
  });

  it('preserves a leading space in event and id', () => {
    expect(encodeEventText({ id: ' 7', event: ' tick', data: 'x' })).toBe(
      'id:  7\nevent:  tick\ndata: x\n\n',
    );
  });

  it('passes colons and NUL in data through unchanged', () => {
    expect(encodeEventText({ data: ':not a comment\0' })).toBe('data: :not a comment\0\n\n');
  });

  it('ends every event with a blank line', () => {
    const samples: EventFields[] = [
      { data: '' },
      { data: 'x' },
      { data: 'x\n' },
      { data: 'x\r' },
      { id: '1', event: 'e', retry: 5, data: 'a\nb' },
    ];
    for (const fields of samples) {
      const text = encodeEventText(fields);
      expect(text.endsWith('\n\n')).toBe(true);
      expect(text.endsWith('\n\n\n')).toBe(false);
    }
  });
});

describe('encodeEvent', () => {
  it('gives the UTF-8 bytes of the event text', () => {
    expect(encodeEvent({ id: '1', data: 'ok' })).toEqual(Buffer.from('id: 1\ndata: ok\n\n'));
  });

  it('encodes non-ASCII data, event and id as UTF-8', () => {
    const bytes = encodeEvent({ id: 'é', event: '温度', data: '€😀' });
    expect([...bytes]).toEqual([
      ...[0x69, 0x64, 0x3a, 0x20], // "id: "
      ...[0xc3, 0xa9], // é
      0x0a,
      ...[0x65, 0x76, 0x65, 0x6e, 0x74, 0x3a, 0x20], // "event: "
      ...[0xe6, 0xb8, 0xa9, 0xe5, 0xba, 0xa6], // 温度
      0x0a,
      ...[0x64, 0x61, 0x74, 0x61, 0x3a, 0x20], // "data: "
      ...[0xe2, 0x82, 0xac], // €
      ...[0xf0, 0x9f, 0x98, 0x80], // 😀
      ...[0x0a, 0x0a],
    ]);
  });

  it('gives exactly the bytes of encodeEventText', () => {
    const fields: EventFields = { id: 'a', event: 'b', retry: 1, data: 'ü\r\nß' };
    expect(encodeEvent(fields)).toEqual(Buffer.from(encodeEventText(fields), 'utf8'));
  });
});

describe('encodeComment', () => {
  it('gives the shortest heartbeat for no text', () => {
    expect(encodeComment().toString('latin1')).toBe(':\n\n');
    expect(encodeComment('').toString('latin1')).toBe(':\n\n');
  });

  it('prefixes the text with a colon and a space', () => {
    expect(encodeComment('ping').toString('utf8')).toBe(': ping\n\n');
  });

  it('writes one comment line per line of text, on CRLF, CR and LF', () => {
    expect(encodeComment('a\r\nb\rc\nd').toString('utf8')).toBe(': a\n: b\n: c\n: d\n\n');
  });

  it('writes empty lines of text as bare colons', () => {
    expect(encodeComment('a\n\nb').toString('utf8')).toBe(': a\n:\n: b\n\n');
  });

  it('encodes non-ASCII text as UTF-8', () => {
    expect(encodeComment('ö')).toEqual(Buffer.from([0x3a, 0x20, 0xc3, 0xb6, 0x0a, 0x0a]));
  });
});

describe('encodeRetry', () => {
  it('writes a block holding only the retry field', () => {
    expect(encodeRetry(2500).toString('latin1')).toBe('retry: 2500\n\n');
    expect(encodeRetry(0).toString('latin1')).toBe('retry: 0\n\n');
  });

  it('writes the largest safe integer in full', () => {
    expect(encodeRetry(Number.MAX_SAFE_INTEGER).toString('latin1')).toBe(
      'retry: 9007199254740991\n\n',
    );
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    'refuses %s with ANDON_INVALID_RETRY',
    (ms) => {
      expectAndonError(() => encodeRetry(ms), 'ANDON_INVALID_RETRY');
    },
  );
});

describe('refusals', () => {
  const forbidden = [
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF', 'a\r\nb'],
    ['NUL', 'a\0b'],
    ['a trailing LF', 'a\n'],
    ['a leading CR', '\ra'],
  ] as const;

  it.each(forbidden)('refuses an event type containing %s', (_, value) => {
    expectAndonError(() => encodeEventText({ event: value, data: 'x' }), 'ANDON_INVALID_FIELD');
    expectAndonError(() => encodeEvent({ event: value, data: 'x' }), 'ANDON_INVALID_FIELD');
  });

  it.each(forbidden)('refuses an id containing %s', (_, value) => {
    expectAndonError(() => encodeEventText({ id: value, data: 'x' }), 'ANDON_INVALID_FIELD');
    expectAndonError(() => encodeEvent({ id: value, data: 'x' }), 'ANDON_INVALID_FIELD');
  });

  it('refuses a bad field even when the other fields are valid', () => {
    expectAndonError(
      () => encodeEventText({ id: 'ok', event: 'x\ny', retry: 10, data: 'fine' }),
      'ANDON_INVALID_FIELD',
    );
  });

  it('refuses a non-string id or event type', () => {
    const badId = { id: 7, data: 'x' } as unknown as EventFields;
    const badEvent = { event: null, data: 'x' } as unknown as EventFields;
    expectAndonError(() => encodeEventText(badId), 'ANDON_INVALID_FIELD');
    expectAndonError(() => encodeEventText(badEvent), 'ANDON_INVALID_FIELD');
  });

  it.each([-1, 0.5, Number.NaN, Number.NEGATIVE_INFINITY])(
    'refuses retry %s with ANDON_INVALID_RETRY',
    (retry) => {
      expectAndonError(() => encodeEventText({ retry, data: 'x' }), 'ANDON_INVALID_RETRY');
      expectAndonError(() => encodeEvent({ retry, data: 'x' }), 'ANDON_INVALID_RETRY');
    },
  );

  it.each([
    ['a number', 1],
    ['an object', { a: 1 }],
    ['null', null],
    ['undefined', undefined],
    ['a Buffer', Buffer.from('x')],
  ])('refuses %s as data with ANDON_INVALID_DATA', (_, data) => {
    const fields = { data } as unknown as EventFields;
    expectAndonError(() => encodeEventText(fields), 'ANDON_INVALID_DATA');
    expectAndonError(() => encodeEvent(fields), 'ANDON_INVALID_DATA');
  });

  it('says what was wrong in the message', () => {
    const error = thrown(() => encodeEventText({ event: 'a\nb', data: 'x' }));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('"event"');
    expect((error as Error).message).toContain('CR, LF or NUL');
  });
});
