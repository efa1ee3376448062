/**
 * The load client's pure parts: the response meter (golden bytes, split at
 * every offset) and the histogram's precision.
 */
import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';
import { timedPayload } from './payload.js';
import { SseMeter } from './sse-meter.js';

function meter(text: string, splits: readonly number[] = []) {
  const stamps: number[] = [];
  let status = -1;
  const m = new SseMeter({
    head: (s) => {
      status = s;
    },
    stamped: (t) => stamps.push(t),
  });
  const bytes = Buffer.from(text, 'latin1');
  let from = 0;
  for (const to of [...splits, bytes.length]) {
    m.feed(bytes, from, to);
    from = to;
  }
  return { events: m.events, bytes: m.bytes, stamps, status, done: m.done };
}

const BODY =
  'retry: 2000\n\n:heartbeat\n\n' +
  'id: 1\ndata: {"t":1700000000123.456,"n":1}\n\n' +
  'id: 2\ndata: {"t":1700000000124,"n":2}\n\n' +
  'data: not timed\n\n' +
  'event: x\r\ndata: {"t":5.5}\r\n\r\n';
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const CHUNKED =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' +
  chunk(BODY.slice(0, 30)) +
  chunk(BODY.slice(30)) +
  '0\r\n\r\n';

describe('SseMeter', () => {
  it('counts data events and reads stamps through chunked framing', () => {
    expect(meter(CHUNKED)).toEqual({
      events: 4,
      bytes: Buffer.byteLength(BODY),
      stamps: [1700000000123.456, 1700000000124, 5.5],
      status: 200,
      done: true,
    });
  });

  it('gives the same answer however the bytes are split', () => {
    const whole = meter(CHUNKED);
    for (let i = 1; i < CHUNKED.length; i++) expect(meter(CHUNKED, [i])).toEqual(whole);
    const byteByByte = Array.from({ length: CHUNKED.length - 1 }, (_, i) => i + 1);
    expect(meter(CHUNKED, byteByByte)).toEqual(whole);
  });

  it('reads a body without chunked framing', () => {
    const result = meter(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n${BODY}`, [40]);
    expect(result.events).toBe(4);
    expect(result.stamps).toHaveLength(3);
    expect(result.done).toBe(false);
  });

  it('stops at a status other than 200', () => {
    expect(meter('HTTP/1.1 503 Service Unavailable\r\n\r\nbusy')).toMatchObject({
      status: 503,
      events: 0,
      done: true,
    });
  });

  it('reads the stamp of a timed payload', () => {
    const data = timedPayload(7, 52, 1700000000000.25);
    const result = meter(`HTTP/1.1 200 OK\r\n\r\ndata: ${data}\n\n`);
    expect(data).toHaveLength(52);
    expect(result.stamps).toEqual([1700000000000.25]);
  });
});

describe('Histogram', () => {
  it('keeps percentiles within 1% and merges by adding', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 10_000; i++) (i % 2 === 0 ? a : b).record(i / 10);
    a.merge(b.toJSON());
    const summary = a.summary();
    expect(summary.count).toBe(10_000);
    expect(summary.p50).toBeGreaterThan(500 * 0.99);
    expect(summary.p50).toBeLessThan(500 * 1.01);
    expect(summary.p99).toBeGreaterThan(990 * 0.99);
    expect(summary.p99).toBeLessThan(990 * 1.01);
    expect(summary.max).toBe(1000);
  });

  it('counts negative samples (clock skew) as zero', () => {
    const h = new Histogram();
    h.record(-0.5);
    expect(h.summary()).toMatchObject({ count: 1, negative: 1, max: 0 });
  });
});
