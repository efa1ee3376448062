/**
 * Property tests of the wire format against a reference parser: whatever
 * Unicode goes in, `eventsource-parser` (which follows the WHATWG parsing
 * rules) must read back exactly what the spec says a browser would see.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import { type EventFields, encodeEvent, encodeEventText } from './encoder.js';

/** What the parser reported for a stream. */
interface Parsed {
  readonly events: EventSourceMessage[];
  readonly retries: number[];
}

function parse(chunks: readonly string[]): Parsed {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return { events, retries };
}

/** The event a WHATWG client sees for `fields`, in the parser's terms. */
function expected(fields: EventFields): EventSourceMessage {
  return {
    id: fields.id,
    // An empty or absent event type is the default; the parser reports undefined.
    event: fields.event === '' ? undefined : fields.event,
    // A lone CR or CRLF cannot travel inside data: the receiver gets LF.
    data: fields.data.replace(/\r\n|\r/g, '\n'),
  };
}

/** True when `s` survives UTF-8 unchanged (no lone surrogates). */
function isWellFormed(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

/**
 * Full-Unicode text, with the characters the format cares about (line
 * breaks, spaces, colons, NUL, BOM) made frequent enough to meet often.
 */
const SPECIALS = ['\r', '\n', '\r\n', ' ', ':', '\0', '\uFEFF', 'data: ', 'id:', '\u2028'];
const unicodeText = fc
  .string({
    unit: fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(...SPECIALS) },
    ),
    maxLength: 40,
  })
  .filter(isWellFormed);

/** Text an `event` or `id` field can carry: no CR, LF or NUL. */
const fieldText = unicodeText.map((s) => s.replace(/[\r\n\0]/g, ''));

/** Text that must be refused in `event` or `id`: at least one CR, LF or NUL. */
const injectingText = fc
  .tuple(fieldText, fc.constantFrom('\r', '\n', '\r\n', '\0'), unicodeText)
  .map(([before, bad, after]) => before + bad + after);

const eventFields: fc.Arbitrary<EventFields> = fc.record(
  {
    id: fieldText,
    event: fieldText,
    data: unicodeText,
    retry: fc.maxSafeNat(),
  },
  { requiredKeys: ['data'] },
);

const RUNS = { numRuns: 500 };

describe('encodeEventText read back by eventsource-parser', () => {
  it('gives back data (breaks as LF), event and id exactly', () => {
    fc.assert(
      fc.property(eventFields, (fields) => {
        const { events, retries } = parse([encodeEventText(fields)]);
        expect(events).toEqual([expected(fields)]);
        expect(retries).toEqual(fields.retry === undefined ? [] : [fields.retry]);
      }),
      RUNS,
    );
  });

  it('gives back several events fed at once, in order', () => {
    fc.assert(
      fc.property(fc.array(eventFields, { minLength: 1, maxLength: 10 }), (list) => {
        const { events, retries } = parse([list.map(encodeEventText).join('')]);
        expect(events).toEqual(list.map(expected));
        expect(retries).toEqual(list.flatMap((f) => (f.retry === undefined ? [] : [f.retry])));
      }),
      RUNS,
    );
  });

  it('gives back the same events from the UTF-8 bytes cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(eventFields, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (list, cuts) => {
          const bytes = Buffer.concat(list.map(encodeEvent));
          expect(bytes.toString('utf8')).toBe(list.map(encodeEventText).join(''));
          const offsets = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const decoder = new TextDecoder('utf-8', { fatal: true });
          const chunks: string[] = [];
          let start = 0;
          for (const end of [...offsets, bytes.length]) {
            chunks.push(decoder.decode(bytes.subarray(start, end), { stream: true }));
            start = end;
          }
          chunks.push(decoder.decode());
          expect(parse(chunks).events).toEqual(list.map(expected));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('fields that would inject others', () => {
  it('refuses any event type containing CR, LF or NUL', () => {
    fc.assert(
      fc.property(injectingText, unicodeText, (event, data) => {
        let error: unknown;
        try {
          encodeEventText({ event, data });
        } catch (caught) {
          error = caught;
        }
        expect(isAndonError(error, 'ANDON_INVALID_FIELD')).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses any id containing CR, LF or NUL', () => {
    fc.assert(
      fc.property(injectingText, unicodeText, (id, data) => {
        let error: unknown;
        try {
          encodeEventText({ id, data });
        } catch (caught) {
          error = caught;
        }
        expect(isAndonError(error, 'ANDON_INVALID_FIELD')).toBe(true);
      }),
      RUNS,
    );
  });
});
