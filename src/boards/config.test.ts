/**
 * Board config validation: the example of docs/boards.md parses, every
 * default is applied, and every mistake is refused with a message that
 * names the file, the board and the field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import { BOARD_DEFAULTS, BOARD_KEYS, parseBoards, TILE_KEYS, withBoards } from './config.js';
import { DARK_INK, inkFor, isCssColor, LIGHT_INK } from './css-color.js';
import { demoBoard } from './demo.js';

const SOURCE = 'andon.yaml';

/** The example board of docs/boards.md. */
function hall(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Production hall',
    topics: 'https://andon.example/workplaces/{id}',
    tile: {
      title: 'name',
      lines: [
        { field: 'operator', label: 'Operator' },
        { field: 'order', label: 'Order' },
        { field: 'reason', label: 'Downtime' },
      ],
      since: 'since',
      state: 'state',
    },
    states: {
      Production: { color: '#89AB0F' },
      Downtime: { color: '#E6AD3C' },
      Poweroff: { color: '#DE6B59', label: 'Power off' },
    },
    order: 'natural',
    orderBy: 'name',
    clock: { timeZone: 'Europe/Prague', locale: 'cs-CZ' },
    layout: { columns: 0, minTileWidth: 260 },
    staleAfter: '5s',
    ...overrides,
  };
}

/** The message of the refusal `raw` gets. */
function refusal(raw: unknown): string {
  try {
    parseBoards(raw, SOURCE);
  } catch (error) {
    if (isAndonError(error, 'ANDON_INVALID_SETTING')) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseBoards', () => {
  it('reads the example of docs/boards.md', () => {
    const [board] = parseBoards({ hall: hall() }, SOURCE);
    expect(board).toEqual({
      name: 'hall',
      title: 'Production hall',
      topics: ['https://andon.example/workplaces/{id}'],
      titleField: 'name',
      orderField: 'name',
      order: 'natural',
      lines: [
        { field: 'operator', label: 'Operator' },
        { field: 'order', label: 'Order' },
        { field: 'reason', label: 'Downtime' },
      ],
      sinceField: 'since',
      stateField: 'state',
      states: [
        { value: 'Production', label: 'Production', color: '#89AB0F', textColor: DARK_INK },
        { value: 'Downtime', label: 'Downtime', color: '#E6AD3C', textColor: DARK_INK },
        { value: 'Poweroff', label: 'Power off', color: '#DE6B59', textColor: DARK_INK },
      ],
      unknownColor: BOARD_DEFAULTS.unknownColor,
      unknownTextColor: LIGHT_INK,
      deletedField: 'deleted',
      staleField: 'stale',
      timeZone: 'Europe/Prague',
      locale: 'cs-CZ',
      layout: { columns: 0, minTileWidth: 260 },
      heartbeatMs: 2000,
      staleAfterMs: 5000,
    });
  });

  it('applies the documented defaults to a minimal board', () => {
    const [board] = parseBoards(
      { line2: { topics: 'https://a.example/{id}', states: { Run: 'green' } } },
      SOURCE,
    );
    expect(board).toMatchObject({
      name: 'line2',
      title: 'line2',
      titleField: 'name',
      orderField: 'name',
      order: 'natural',
      lines: [],
      sinceField: undefined,
      stateField: 'state',
      deletedField: 'deleted',
      staleField: 'stale',
      locale: 'en-GB',
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      layout: { columns: 0, minTileWidth: 260 },
      heartbeatMs: BOARD_DEFAULTS.heartbeatMs,
      staleAfterMs: BOARD_DEFAULTS.staleAfterMs,
      states: [{ value: 'Run', label: 'Run', color: 'green', textColor: LIGHT_INK }],
    });
  });

  it('takes lines as plain field names, a list of topics, and orderBy apart from the title', () => {
    const [board] = parseBoards(
      {
        b: hall({
          topics: ['https://a.example/{id}', 'https://b.example/x'],
          tile: {
            title: 'label',
            lines: ['operator', 'order.number'],
            deleted: 'gone',
            stale: 'old',
          },
          orderBy: 'position',
          order: 'text',
        }),
      },
      SOURCE,
    );
    expect(board).toMatchObject({
      topics: ['https://a.example/{id}', 'https://b.example/x'],
      titleField: 'label',
      orderField: 'position',
      order: 'text',
      lines: [{ field: 'operator' }, { field: 'order.number' }],
      deletedField: 'gone',
      staleField: 'old',
    });
  });

  it('has no boards when the entry is absent', () => {
    expect(parseBoards(undefined, SOURCE)).toEqual([]);
    expect(parseBoards(null, SOURCE)).toEqual([]);
  });

  it('names the file, the board and the field of a bad colour', () => {
    const message = refusal({
      hall: hall({ states: { Production: { color: '#89AB0F' }, Downtime: { color: '#zzz' } } }),
    });
    expect(message).toContain('boards.hall.states.Downtime.color: "#zzz" is not a CSS colour');
    expect(message.startsWith(`${SOURCE}: `)).toBe(true);
  });

  it.each([
    ['a mapping of boards', ['hall'], 'boards: must be a mapping'],
    ['a valid board name', { 'hall/1': hall() }, 'boards.hall/1: a board name is its URL'],
    ['a mapping per board', { hall: 'yes' }, 'boards.hall: must be a mapping'],
    ['known keys only', { hall: hall({ colour: 'red' }) }, 'boards.hall.colour: unknown key'],
    [
      'known tile keys only',
      { hall: hall({ tile: { titel: 'x' } }) },
      'boards.hall.tile.titel: unknown key',
    ],
    ['topics', { hall: hall({ topics: undefined }) }, 'boards.hall.topics: is required'],
    [
      'an empty topic list',
      { hall: hall({ topics: [] }) },
      'boards.hall.topics: must list at least one',
    ],
    [
      'a valid template',
      { hall: hall({ topics: 'https://a.example/{id' }) },
      'boards.hall.topics: "https://a.example/{id" is not a valid URI template',
    ],
    [
      'a valid template in a list',
      { hall: hall({ topics: ['https://a/{x}', 'https://b/{'] }) },
      'boards.hall.topics.1:',
    ],
    ['states', { hall: hall({ states: undefined }) }, 'boards.hall.states: is required'],
    [
      'at least one state',
      { hall: hall({ states: {} }) },
      'boards.hall.states: must list at least one state',
    ],
    [
      'a colour per state',
      { hall: hall({ states: { Run: { label: 'Running' } } }) },
      'boards.hall.states.Run.color: is required',
    ],
    [
      'known state keys',
      { hall: hall({ states: { Run: { color: 'red', colour: 'x' } } }) },
      'boards.hall.states.Run.colour: unknown key',
    ],
    [
      'a colour that cannot break out',
      { hall: hall({ states: { Run: { color: 'red;background:url(x)' } } }) },
      'boards.hall.states.Run.color:',
    ],
    [
      'a text colour',
      { hall: hall({ states: { Run: { color: 'red', textColor: 'nope' } } }) },
      'boards.hall.states.Run.textColor: "nope" is not a CSS colour',
    ],
    [
      'an unknown colour',
      { hall: hall({ unknownColor: 12 }) },
      'boards.hall.unknownColor: 12 is not a CSS colour',
    ],
    [
      'an order',
      { hall: hall({ order: 'random' }) },
      'boards.hall.order: "random" is not one of natural, text',
    ],
    [
      'a field name',
      { hall: hall({ orderBy: 'a..b' }) },
      'boards.hall.orderBy: "a..b" is not a field name',
    ],
    [
      'a list of lines',
      { hall: hall({ tile: { lines: 'operator' } }) },
      'boards.hall.tile.lines: must be a list',
    ],
    [
      'a field per line',
      { hall: hall({ tile: { lines: [{ label: 'Operator' }] } }) },
      'boards.hall.tile.lines.0.field: is required',
    ],
    [
      'a time zone',
      { hall: hall({ clock: { timeZone: 'Mars/Olympus' } }) },
      'boards.hall.clock.timeZone: "Mars/Olympus" is not a time zone',
    ],
    [
      'a locale',
      { hall: hall({ clock: { locale: 'not a locale!' } }) },
      'boards.hall.clock.locale: "not a locale!" is not a locale',
    ],
    [
      'whole columns',
      { hall: hall({ layout: { columns: 2.5 } }) },
      'boards.hall.layout.columns: 2.5 is not a whole number from 0 to 48',
    ],
    [
      'a tile width',
      { hall: hall({ layout: { minTileWidth: 10 } }) },
      'boards.hall.layout.minTileWidth: 10 is not a whole number from 40 to 1920',
    ],
    [
      'a duration with a unit',
      { hall: hall({ staleAfter: 5 }) },
      'boards.hall.staleAfter: "5" is not a duration',
    ],
    [
      'a heartbeat the hub serves',
      { hall: hall({ heartbeat: '500ms' }) },
      'boards.hall.heartbeat: "500ms" is too short',
    ],
    [
      'staleAfter past the heartbeat',
      { hall: hall({ heartbeat: '5s', staleAfter: '5s' }) },
      'boards.hall.staleAfter: 5000 ms is not longer than the heartbeat',
    ],
    [
      'a non-empty title',
      { hall: hall({ title: '' }) },
      'boards.hall.title: must be a non-empty string',
    ],
  ])('requires %s', (_what, raw, expected) => {
    const message = refusal(raw);
    expect(message).toContain(`${SOURCE}: ${expected}`);
  });
});

describe('docs/boards.md', () => {
  it('documents every key of a board in its reference table', () => {
    const doc = readFileSync(new URL('../../docs/boards.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `'));
    const keys = [
      ...BOARD_KEYS.filter((k) => k !== 'tile' && k !== 'clock' && k !== 'layout'),
      ...TILE_KEYS.map((k) => `tile.${k}`),
      'clock.timeZone',
      'clock.locale',
      'layout.columns',
      'layout.minTileWidth',
      'states.*.color',
      'states.*.label',
      'states.*.textColor',
    ];
    for (const key of keys) {
      expect(
        rows.some((row) => row.startsWith(`| \`${key}\``)),
        key,
      ).toBe(true);
    }
  });
});

describe('withBoards', () => {
  it('adds the demo board unless the config defines one of that name', () => {
    const [hallBoard] = parseBoards({ hall: hall() }, SOURCE);
    const demo = demoBoard();
    expect(withBoards([hallBoard!], [demo]).map((b) => b.name)).toEqual(['hall', 'demo']);
    const [own] = parseBoards({ demo: hall({ title: 'Mine' }) }, SOURCE);
    expect(withBoards([own!], [demo])).toEqual([own]);
  });
});

describe('the demo board', () => {
  it('shows the demo hall in the three colours of the original', () => {
    const board = demoBoard();
    expect(board).toMatchObject({
      name: 'demo',
      title: 'Demo hall',
      topics: ['https://andon.example/workplaces/{id}'],
      sinceField: 'since',
    });
    expect(board.states.map((s) => [s.value, s.color])).toEqual([
      ['Production', '#89AB0F'],
      ['Downtime', '#E6AD3C'],
      ['Poweroff', '#DE6B59'],
    ]);
  });
});

describe('CSS colours', () => {
  it('accepts hex, functional notations and names, and nothing else', () => {
    for (const color of [
      '#89AB0F',
      '#fff',
      '#ffff',
      '#11223344',
      'rgb(1 2 3)',
      'rgba(1,2,3,0.5)',
      'hsl(120deg 50% 50%)',
      'oklch(70% 0.1 120)',
      'RebeccaPurple',
      'transparent',
    ]) {
      expect(isCssColor(color), color).toBe(true);
    }
    for (const color of [
      '#zzz',
      '#12345',
      'rgb(1 2 3',
      'red;',
      'url(x)',
      'rgb(1 2 3); x: y',
      'expression(alert(1))',
      '',
    ]) {
      expect(isCssColor(color), color).toBe(false);
    }
  });

  it('chooses the text colour with the higher contrast', () => {
    expect(inkFor('#89AB0F')).toBe(DARK_INK);
    expect(inkFor('#DE6B59')).toBe(DARK_INK);
    expect(inkFor('#1e3a8a')).toBe(LIGHT_INK);
    expect(inkFor('rgb(0, 0, 0)')).toBe(LIGHT_INK);
    expect(inkFor('navy')).toBe(LIGHT_INK);
    expect(inkFor('yellow')).toBe(DARK_INK);
  });
});
