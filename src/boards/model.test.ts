/**
 * The board model: tiles from updates (deletion, malformed data, hostile
 * names), natural order, overview shares that always sum to 100, durations,
 * the grid, and the HTML both sides draw from it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoBoard } from './demo.js';
import { formatDuration } from './duration.js';
import { unwrapUpdate, wrapUpdate } from './envelope.js';
import { gridSize } from './layout.js';
import { parseSince, readField, sortTiles, type TileChange, tileFromUpdate } from './model.js';
import { naturalCompare } from './natural-sort.js';
import { computeOverview, largestRemainder, UNKNOWN_STATE } from './shares.js';
import { escapeHtml, overviewHtml, tileHtml } from './tile-html.js';
import type { Board, Tile } from './types.js';

const board: Board = demoBoard();
const TOPIC = 'https://andon.example/workplaces/cnc-7';

function tileOf(change: TileChange): Tile {
  if (change.kind !== 'set') throw new Error(`expected a tile, got ${change.kind}`);
  return change.tile;
}

function tile(name: string, state: string, key = `https://andon.example/workplaces/${name}`): Tile {
  return tileOf(tileFromUpdate(board, key, JSON.stringify({ name, state })));
}

describe('tileFromUpdate', () => {
  it('reads the title, lines, state and since of an update', () => {
    const data = {
      name: 'CNC 7',
      state: 'Downtime',
      operator: 'Jan Novák',
      order: 'ZK-118',
      reason: 'Tool change',
      since: '2026-11-30T10:12:00Z',
    };
    expect(tileOf(tileFromUpdate(board, TOPIC, JSON.stringify(data)))).toEqual({
      key: TOPIC,
      title: 'CNC 7',
      orderValue: 'CNC 7',
      lines: [
        { label: 'Operator', value: 'Jan Novák' },
        { label: 'Order', value: 'ZK-118' },
        { label: 'Reason', value: 'Tool change' },
      ],
      state: 'Downtime',
      since: Date.parse('2026-11-30T10:12:00Z'),
      stale: false,
      error: undefined,
    });
  });

  it('leaves out lines whose field is absent, null or empty', () => {
    const data = { name: 'CNC 1', state: 'Production', operator: '', order: 'ZK-1', reason: null };
    expect(tileOf(tileFromUpdate(board, TOPIC, JSON.stringify(data))).lines).toEqual([
      { label: 'Order', value: 'ZK-1' },
    ]);
  });

  it('deletes the tile for empty data, whitespace, or deleted: true', () => {
    for (const data of ['', '  \n', '{"deleted":true}', '{"name":"CNC 7","deleted":true}']) {
      expect(tileFromUpdate(board, TOPIC, data)).toEqual({ kind: 'delete', key: TOPIC });
    }
    // Only true deletes: a truthy string is data.
    expect(tileFromUpdate(board, TOPIC, '{"deleted":"yes"}').kind).toBe('set');
  });

  it('turns malformed data into a tile showing the error, never a throw', () => {
    const broken = tileOf(tileFromUpdate(board, TOPIC, '{"name": "CNC 7", '));
    expect(broken).toMatchObject({ key: TOPIC, title: 'cnc-7', state: '', lines: [] });
    expect(broken.error).toMatch(/^Malformed JSON: /);
    for (const data of ['42', '"text"', 'null', '[1,2]', 'true']) {
      expect(tileOf(tileFromUpdate(board, TOPIC, data)).error).toBe(
        'The data is not a JSON object.',
      );
    }
  });

  it('keeps any character of a name as text: ; < > " & and quotes', () => {
    const name = `CNC; 7 <b>"x"</b> & 'y' \u2028 </script>`;
    const t = tileOf(
      tileFromUpdate(board, `${TOPIC};a="b"`, JSON.stringify({ name, state: 'Downtime' })),
    );
    expect(t.title).toBe(name);
    expect(t.key).toBe(`${TOPIC};a="b"`);
    const html = tileHtml(board, t, 0);
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('</script>');
    expect(html).toContain(escapeHtml(name));
    expect(html).toContain(`data-tile="${escapeHtml(`${TOPIC};a="b"`)}"`);
  });

  it('falls back to the topic for a missing title, and marks stale data', () => {
    const t = tileOf(tileFromUpdate(board, TOPIC, '{"state":"Production","stale":true}'));
    expect(t.title).toBe('cnc-7');
    expect(t.stale).toBe(true);
  });

  it('reads dotted paths, own properties only', () => {
    expect(readField({ order: { number: 'ZK-1' } }, 'order.number')).toBe('ZK-1');
    expect(readField({ order: 'ZK-1' }, 'order.number')).toBeUndefined();
    expect(readField({}, 'constructor')).toBeUndefined();
    expect(readField({}, 'toString')).toBeUndefined();
    expect(readField(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__.x')).toBe(1);
  });

  it('reads since as ISO 8601, ms or digits, and nothing else', () => {
    expect(parseSince('2026-11-30T10:12:00Z')).toBe(Date.parse('2026-11-30T10:12:00Z'));
    expect(parseSince(1_796_040_000_000)).toBe(1_796_040_000_000);
    expect(parseSince('1796040000000')).toBe(1_796_040_000_000);
    expect(parseSince('yesterday')).toBeUndefined();
    expect(parseSince(null)).toBeUndefined();
    expect(parseSince(Number.NaN)).toBeUndefined();
  });
});

describe('natural order', () => {
  it('puts CNC 2 before CNC 10, as numbers', () => {
    const names = ['CNC 10', 'CNC 2', 'CNC 1', 'CNC 19', 'CNC 0', 'CNC 9', 'CNC 11'];
    expect([...names].sort(naturalCompare)).toEqual([
      'CNC 0',
      'CNC 1',
      'CNC 2',
      'CNC 9',
      'CNC 10',
      'CNC 11',
      'CNC 19',
    ]);
  });

  it('handles case, leading zeros, long numbers, and several numbers', () => {
    const sorted = [
      'b',
      'A',
      'a2',
      'a10',
      'a02',
      'x99999999999999999999',
      'x100000000000000000000',
      'L1-10',
      'L1-9',
      'L2-1',
    ].sort(naturalCompare);
    expect(sorted).toEqual([
      'A',
      'a02',
      'a2',
      'a10',
      'b',
      'L1-9',
      'L1-10',
      'L2-1',
      'x99999999999999999999',
      'x100000000000000000000',
    ]);
  });

  it('is a total order: antisymmetric, transitive, 0 only for equal strings', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'A', 'b', '0', '1', '2', '9', ' ', '-', 'é'),
    });
    fc.assert(
      fc.property(text, text, text, (a, b, c) => {
        const ab = naturalCompare(a, b);
        expect(Math.sign(ab) + Math.sign(naturalCompare(b, a))).toBe(0);
        expect(ab === 0).toBe(a === b);
        if (ab <= 0 && naturalCompare(b, c) <= 0)
          expect(naturalCompare(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts tiles by the board order, then by topic', () => {
    const tiles = [
      tile('CNC 10', 'Production'),
      tile('CNC 2', 'Production'),
      tile('CNC 2', 'Downtime', 'https://z/1'),
    ];
    expect(sortTiles(board, tiles).map((t) => t.key)).toEqual([
      'https://andon.example/workplaces/CNC 2',
      'https://z/1',
      'https://andon.example/workplaces/CNC 10',
    ]);
    const text = { ...board, order: 'text' as const };
    expect(sortTiles(text, tiles).map((t) => t.title)).toEqual(['CNC 10', 'CNC 2', 'CNC 2']);
  });
});

describe('overview shares', () => {
  it('always sum to exactly 100 (largest remainder)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 12 }), (counts) => {
        const shares = largestRemainder(counts);
        const sum = counts.reduce((a, b) => a + b, 0);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(sum === 0 ? 0 : 100);
        shares.forEach((share, i) => {
          // Each share is its exact quota rounded down or up.
          const quota = sum === 0 ? 0 : (counts[i]! * 100) / sum;
          expect(share >= Math.floor(quota) && share <= Math.ceil(quota)).toBe(true);
        });
      }),
    );
  });

  it('splits thirds and the example of the brief', () => {
    expect(largestRemainder([1, 1, 1])).toEqual([34, 33, 33]);
    expect(largestRemainder([6, 11, 3])).toEqual([30, 55, 15]);
    expect(largestRemainder([1, 0, 0])).toEqual([100, 0, 0]);
    expect(largestRemainder([2, 1])).toEqual([67, 33]);
  });

  it('divides nothing by zero when there are no tiles, and shows 0 tiles', () => {
    const overview = computeOverview(board, []);
    expect(overview.total).toBe(0);
    expect(overview.entries.map((e) => e.percent)).toEqual([0, 0, 0]);
    const html = overviewHtml(overview);
    expect(html).toContain('0 tiles');
    expect(html).not.toContain('NaN');
    expect(html).not.toContain('Infinity');
  });

  it('counts unlisted states and malformed tiles as Other, still summing to 100', () => {
    const tiles = [
      tile('CNC 1', 'Production'),
      tile('CNC 2', 'Setup'),
      tileOf(tileFromUpdate(board, 'https://x/3', 'not json')),
    ];
    const overview = computeOverview(board, tiles);
    expect(overview.entries.map((e) => [e.value, e.count, e.percent])).toEqual([
      ['Production', 1, 33],
      ['Downtime', 0, 0],
      ['Poweroff', 0, 0],
      [UNKNOWN_STATE, 2, 67],
    ]);
  });

  it('reads as the brief shows it', () => {
    const tiles = [
      ...Array.from({ length: 6 }, (_, i) => tile(`P${i}`, 'Production')),
      ...Array.from({ length: 11 }, (_, i) => tile(`D${i}`, 'Downtime')),
      ...Array.from({ length: 3 }, (_, i) => tile(`O${i}`, 'Poweroff')),
    ];
    const text = overviewHtml(computeOverview(board, tiles)).replace(/<[^>]+>/g, '');
    expect(text).toBe('Production 30% · Downtime 55% · Poweroff 15%20 tiles');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [45_000, '45s'],
    [60_000, '1m'],
    [12 * 60_000 + 5000, '12m5s'],
    [2 * 3_600_000, '2h'],
    [2 * 3_600_000 + 2 * 60_000 + 59_000, '2h2m'],
    [3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000, '3d4h'],
    [400 * 86_400_000, '400d'],
    [-5000, '0s'],
    [Number.NaN, '0s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('gridSize', () => {
  const layout = board.layout;

  it('fills a 1920x1080 board of 20 tiles with 5 columns of 4 rows', () => {
    expect(gridSize(layout, 20, 1880, 850)).toEqual({ columns: 5, rows: 4 });
  });

  it('fits any count, never more columns than tiles, and one cell for none', () => {
    expect(gridSize(layout, 0, 1880, 850)).toEqual({ columns: 1, rows: 1 });
    expect(gridSize(layout, 1, 1880, 850)).toEqual({ columns: 1, rows: 1 });
    expect(gridSize(layout, 4, 1880, 850)).toEqual({ columns: 2, rows: 2 });
    for (let n = 1; n <= 200; n++) {
      const grid = gridSize(layout, n, 1880, 850);
      expect(grid.columns * grid.rows).toBeGreaterThanOrEqual(n);
      expect(grid.columns).toBeLessThanOrEqual(Math.floor(1920 / layout.minTileWidth));
    }
  });

  it('keeps fixed columns when configured', () => {
    expect(gridSize({ columns: 3, minTileWidth: 260 }, 20, 1880, 850)).toEqual({
      columns: 3,
      rows: 7,
    });
    expect(gridSize({ columns: 3, minTileWidth: 260 }, 2, 1880, 850)).toEqual({
      columns: 2,
      rows: 1,
    });
  });
});

describe('the feed envelope', () => {
  it('carries the topic with the data, empty data included', () => {
    expect(unwrapUpdate(wrapUpdate(TOPIC, ''))).toEqual({ topic: TOPIC, data: '' });
    expect(unwrapUpdate(wrapUpdate('a;b"c', '{"x":1}'))).toEqual({
      topic: 'a;b"c',
      data: '{"x":1}',
    });
    expect(unwrapUpdate('{"x":1}')).toBeUndefined();
    expect(unwrapUpdate('nope')).toBeUndefined();
  });
});
