/**
 * The browser client's SSE parser (src/client/sse-parser.ts), run in Node:
 * golden cases for each rule of the WHATWG algorithm, every split of a
 * stream into chunks, the size limits, and a property test against
 * `eventsource-parser` as the reference on random streams cut at random.
 */
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SseEvent,
  SseLimitError,
  SseParser,
  type SseParserOptions,
} from '../../src/client/sse-parser.js';

/** Everything a parser reported, in order. */
interface Parsed {
  readonly events: SseEvent[];
  readonly comments: string[];
  readonly retries: number[];
  readonly lastEventId: string;
}

function parse(chunks: readonly string[], options: SseParserOptions = {}): Parsed {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser(
    {
      event: (event) => events.push(event),
      comment: (text) => comments.push(text),
      retry: (ms) => retries.push(ms),
    },
    options,
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, comments, retries, lastEventId: parser.lastEventId };
}

/** Every way of cutting `text` in two or three pieces, plus one character at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 0; i <= text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)]);
    for (let j = i; j <= text.length; j++) {
      out.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
    }
  }
  return out;
}

/** Parses `text` whole and cut every way; all must agree. */
function parseAnyway(text: string): Parsed {
  const whole = parse([text]);
  for (const chunks of splits(text)) expect(parse(chunks), JSON.stringify(chunks)).toEqual(whole);
  return whole;
}

const event = (data: string, id = '', type = 'message'): SseEvent => ({ type, data, id });

describe('SseParser', () => {
  it('dispatches on a blank line, with the default type and the id', () => {
    expect(parseAnyway('id: 1\ndata: hello\n\n').events).toEqual([event('hello', '1')]);
    expect(parseAnyway('event: time\ndata: x\n\n').events).toEqual([event('x', '', 'time')]);
  });

  it('accepts LF, CR and CRLF line ends, mixed, and split across chunks', () => {
    const expected = [event('a\nb', '7'), event('c', '7')];
    expect(parseAnyway('id: 7\rdata: a\r\ndata: b\n\rdata: c\r\n\r\n').events).toEqual(expected);
    // A CR ending one chunk and an LF starting the next are one line end, not two.
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events).toEqual([event('a\nb')]);
  });

  it('skips one BOM at the very start only', () => {
    expect(parseAnyway('\uFEFFdata: a\n\n').events).toEqual([event('a')]);
    expect(parse(['', '\uFEFF', 'data: a\n\n']).events).toEqual([event('a')]);
    // A second BOM starts a field name that is no field: ignored.
    expect(parseAnyway('\uFEFF\uFEFFdata: a\n\n').events).toEqual([]);
    expect(parseAnyway('data: a\n\n\uFEFFdata: b\n\n').events).toEqual([event('a')]);
  });

  it('removes one space after the colon, no more', () => {
    expect(parseAnyway('data:a\n\ndata:  b\n\n').events).toEqual([event('a'), event(' b')]);
  });

  it('dispatches an empty data line as an empty update; no data line dispatches nothing', () => {
    expect(parseAnyway('data\n\n').events).toEqual([event('')]);
    expect(parseAnyway('data:\n\n').events).toEqual([event('')]);
    expect(parseAnyway('data\ndata\n\n').events).toEqual([event('\n')]);
    expect(parseAnyway('event: x\n\n').events).toEqual([]);
  });

  it('resets the type after each event but keeps the last event id', () => {
    const { events } = parseAnyway('event: a\nid: 1\ndata: x\n\ndata: y\n\nid\ndata: z\n\n');
    expect(events).toEqual([event('x', '1', 'a'), event('y', '1'), event('z', '')]);
  });

  it('ignores an id holding NUL', () => {
    const parsed = parseAnyway('id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n');
    expect(parsed.events).toEqual([event('a', '1'), event('b', '1')]);
    expect(parsed.lastEventId).toBe('1');
  });

  it('commits an id at the blank line, so an id-only block counts and a cut-off event does not', () => {
    expect(parseAnyway('id: 5\n\n').lastEventId).toBe('5');
    expect(parseAnyway('id: 5\n\nid: 6\ndata: partial\n').lastEventId).toBe('5');
    expect(parseAnyway('id: 5\n\nid: 6\ndata: partial\n').events).toEqual([]);
  });

  it('starts from a given last event id', () => {
    expect(parse(['data: a\n\n'], { lastEventId: 'x' }).events).toEqual([event('a', 'x')]);
  });

  it('reports retry only for ASCII digits', () => {
    expect(
      parseAnyway('retry: 1500\n\nretry: 1.5\n\nretry: -1\n\nretry\n\nretry: 7\n').retries,
    ).toEqual([1500, 7]);
  });

  it('reports comments, heartbeats included, apart from events', () => {
    const parsed = parseAnyway(':\n\n: hi\ndata: a\n\n:x\n');
    expect(parsed.comments).toEqual(['', ' hi', 'x']);
    expect(parsed.events).toEqual([event('a')]);
  });

  it('ignores unknown fields and field names in another case', () => {
    expect(parseAnyway('foo: 1\nData: 2\nDATA\ndata: ok\n\n').events).toEqual([event('ok')]);
  });

  it('discards an incomplete last line and event at the end', () => {
    expect(parseAnyway('data: a\n\ndata: b\n').events).toEqual([event('a')]);
    expect(parseAnyway('data: a\n\ndata: b').events).toEqual([event('a')]);
  });

  it('keeps characters outside the BMP whole, whatever the chunking', () => {
    expect(parseAnyway('data: 🚦 Jan Novák\n\n').events).toEqual([event('🚦 Jan Novák')]);
  });

  it('throws SseLimitError for a line over the limit, even one arriving in pieces', () => {
    const options = { maxLineLength: 10 };
    expect(() => parse(['data: 12345678\n'], options)).toThrow(SseLimitError);
    expect(() => parse(['data: ', '123', '45678'], options)).toThrow(/longer than 10/);
    expect(parse(['data: 1234\n\n'], options).events).toEqual([event('1234')]);
  });

  it('throws SseLimitError for an event over the limit, comments included', () => {
    const options = { maxEventSize: 20 };
    expect(() => parse(['data: 123456\ndata: 123456\ndata: 1\n'], options)).toThrow(
      expect.objectContaining({ limit: 'event', max: 20 }),
    );
    expect(() => parse([':1234567\n:1234567\n:1234567\n'], options)).toThrow(SseLimitError);
    // The count starts again at each blank line.
    const many = 'data: 123456\n\n'.repeat(100);
    expect(parse([many], options).events).toHaveLength(100);
  });

  it('reads a long line fed in many small pieces in linear time', () => {
    const parser = new SseParser({ event: () => {} });
    const piece = 'x'.repeat(64);
    const started = performance.now();
    parser.feed('data: ');
    for (let i = 0; i < 100_000; i++) parser.feed(piece);
    parser.feed('\n\n');
    // 6.4 MB in 100k pieces: a quadratic buffer would take minutes.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

/** What `eventsource-parser` reports, in this parser's terms (ids persist; type defaults). */
function reference(chunks: readonly string[]): Omit<Parsed, 'lastEventId'> {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  let lastId = '';
  const parser = createParser({
    onId: (id) => {
      lastId = id;
    },
    onEvent: (e) => events.push({ type: e.event ?? 'message', data: e.data, id: lastId }),
    onComment: (text) => comments.push(text),
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return { events, comments, retries };
}

const TOKENS = [
  'data',
  'event',
  'id',
  'retry',
  ':',
  ' ',
  '\n',
  '\n',
  '\r',
  '\r\n',
  '\0',
  '\uFEFF',
  '12',
  'x',
  'é',
  '🚦',
];
const stream = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(''));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

function cut(text: string, at: readonly number[]): string[] {
  const points = [...new Set(at.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(text.slice(start, point));
    start = point;
  }
  chunks.push(text.slice(start));
  return chunks;
}

describe('SseParser against eventsource-parser', () => {
  it('reports the same events, ids, retries and comments on random streams cut at random', () => {
    fc.assert(
      fc.property(stream, cuts, (text, at) => {
        // Cutting inside a surrogate pair cannot happen after UTF-8 decoding.
        const chunks = cut(text, at);
        if (chunks.some((c) => /^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(c))) return;
        const ours = parse(chunks);
        const theirs = reference(chunks);
        expect(ours.events).toEqual(theirs.events);
        expect(ours.retries).toEqual(theirs.retries);
        // eventsource-parser drops one space after the comment's colon; this parser keeps it.
        expect(ours.comments.map((c) => c.replace(/^ /, ''))).toEqual(theirs.comments);
      }),
      { numRuns: 2000 },
    );
  });
});
