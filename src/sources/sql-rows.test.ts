/** Rows to tile updates: values as JSON, snapshots, changes, the stale mark. */
import { describe, expect, it } from 'vitest';
import { BACKOFF_JITTER, backoffDelay } from './backoff.js';
import { changesBetween, jsonValue, RowShapeError, snapshotOf, staleData } from './sql-rows.js';

const shape = { key: 'id', topic: 'https://andon.example/workplaces/{key}', fields: undefined };

describe('jsonValue', () => {
  it('turns driver values into JSON: dates ISO, big integers exact, bytes base64', () => {
    expect(jsonValue(new Date('2026-11-30T10:12:00Z'))).toBe('2026-11-30T10:12:00.000Z');
    expect(jsonValue(new Date(Number.NaN))).toBeNull();
    expect(jsonValue(42n)).toBe(42);
    expect(jsonValue(2n ** 60n)).toBe('1152921504606846976');
    expect(jsonValue(Buffer.from('hi'))).toBe('aGk=');
    expect(jsonValue(undefined)).toBeNull();
    expect(jsonValue(Number.POSITIVE_INFINITY)).toBeNull();
    expect(jsonValue({ at: new Date(0), n: [1n] })).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      n: [1],
    });
    expect(jsonValue('Jan Novák')).toBe('Jan Novák');
  });
});

describe('snapshotOf', () => {
  it('keys rows by the key column, every column a field, topics URI-encoded', () => {
    const { snapshot } = snapshotOf(
      [
        { id: 7, name: 'CNC 7', since: new Date('2026-11-30T10:12:00Z') },
        { id: 'a b/c', name: 'Saw' },
      ],
      shape,
    );
    expect([...snapshot.values()]).toEqual([
      {
        key: '7',
        topic: 'https://andon.example/workplaces/7',
        data: '{"id":7,"name":"CNC 7","since":"2026-11-30T10:12:00.000Z"}',
      },
      {
        key: 'a b/c',
        topic: 'https://andon.example/workplaces/a%20b%2Fc',
        data: '{"id":"a b/c","name":"Saw"}',
      },
    ]);
  });

  it('maps fields to columns when told, and counts null and repeated keys', () => {
    const result = snapshotOf(
      [
        { id: 1, workplace_name: 'A', extra: 1 },
        { id: null, workplace_name: 'B', extra: 2 },
        { id: 1, workplace_name: 'C', extra: 3 },
      ],
      { ...shape, fields: { name: 'workplace_name' } },
    );
    expect([...result.snapshot.values()].map((t) => t.data)).toEqual(['{"name":"C"}']);
    expect(result).toMatchObject({ nullKeys: 1, duplicates: 1 });
  });

  it('names a missing key or field column and lists the columns there are', () => {
    expect(() => snapshotOf([{ workplace: 1 }], shape)).toThrow(
      new RowShapeError('the query has no column id (key); its columns are workplace'),
    );
    expect(() => snapshotOf([{ id: 1 }], { ...shape, fields: { name: 'title' } })).toThrow(
      /no column title \(fields\.name\)/,
    );
  });
});

describe('changesBetween', () => {
  const snap = (rows: Record<string, unknown>[]) => snapshotOf(rows, shape).snapshot;

  it('gives changed and new rows in row order, then deletes; nothing when nothing changed', () => {
    const before = snap([
      { id: 1, s: 'a' },
      { id: 2, s: 'b' },
      { id: 3, s: 'c' },
    ]);
    expect(changesBetween(before, before)).toEqual([]);
    const after = snap([
      { id: 4, s: 'd' },
      { id: 1, s: 'a' },
      { id: 2, s: 'B' },
    ]);
    expect(changesBetween(before, after).map((c) => [c.key, c.data])).toEqual([
      ['4', '{"id":4,"s":"d"}'],
      ['2', '{"id":2,"s":"B"}'],
      ['3', ''],
    ]);
  });

  it('republishes a tile marked stale even though its row is unchanged', () => {
    const rows = snap([{ id: 1, s: 'a' }]);
    const tile = rows.get('1')!;
    const stale = new Map([['1', { ...tile, data: staleData(tile.data) }]]);
    expect(stale.get('1')?.data).toBe('{"id":1,"s":"a","stale":true}');
    expect(changesBetween(stale, rows)).toEqual([tile]);
  });
});

describe('backoffDelay', () => {
  it('doubles from the first delay up to the cap, less at most the jitter', () => {
    const backoff = { initial: 1000, max: 30_000 };
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(n, backoff, none))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    const most = () => 0.999_999;
    expect(backoffDelay(1, backoff, most)).toBe(
      Math.round(1000 * (1 - BACKOFF_JITTER * 0.999_999)),
    );
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(3, backoff);
      expect(delay).toBeGreaterThan(4000 * (1 - BACKOFF_JITTER) - 1);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});
