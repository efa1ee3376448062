/**
 * The `boards` entry of the hub's config file, validated at start into
 * {@link Board}s. Every mistake stops the start with `ANDON_INVALID_SETTING`
 * naming the file, the board and the field; every optional field has a
 * default, documented on {@link Board} and in docs/boards.md.
 */
import {
  below,
  type FieldPath,
  invalidField,
  readChoice,
  readColor,
  readDuration,
  readFieldName,
  readInteger,
  readObject,
  readString,
} from './config-fields.js';
import { readClock, readLines, readStates, readTopics } from './config-sections.js';
import { inkFor } from './css-color.js';
import type { Board } from './types.js';

/** Defaults of the optional fields of a board. */
export const BOARD_DEFAULTS = {
  titleField: 'name',
  stateField: 'state',
  deletedField: 'deleted',
  staleField: 'stale',
  order: 'natural',
  unknownColor: '#6B7280',
  locale: 'en-GB',
  columns: 0,
  minTileWidth: 260,
  /** Heartbeat the page asks for: a cut-off screen knows within a couple of seconds. */
  heartbeatMs: 2000,
  /** Stale after two and a half heartbeats missed, so one late heartbeat is not a false alarm. */
  staleAfterMs: 5000,
} as const;

/** Shortest heartbeat the hub serves (its heartbeat timer ticks once a second). */
const MIN_HEARTBEAT_MS = 1000;
/** Most columns: past this a 1920 px screen gives tiles narrower than a word. */
const MAX_COLUMNS = 48;
/** Board names are URL path segments. */
const BOARD_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The keys of a board's entry (docs/boards.md documents each). */
export const BOARD_KEYS = [
  'title',
  'topics',
  'tile',
  'states',
  'unknownColor',
  'order',
  'orderBy',
  'clock',
  'layout',
  'heartbeat',
  'staleAfter',
];
/** The keys of a board's `tile` entry. */
export const TILE_KEYS = ['title', 'lines', 'since', 'state', 'deleted', 'stale'];

function readBoard(name: string, value: unknown, at: FieldPath): Board {
  if (!BOARD_NAME.test(name)) {
    throw invalidField(
      at,
      'a board name is its URL (/boards/NAME): use 1 to 64 letters, digits, - or _.',
    );
  }
  const raw = readObject(value, at, BOARD_KEYS);
  const tileAt = below(at, 'tile');
  const tile =
    raw.tile === undefined || raw.tile === null ? {} : readObject(raw.tile, tileAt, TILE_KEYS);
  const titleField = readFieldName(tile.title, below(tileAt, 'title'), BOARD_DEFAULTS.titleField);
  const unknownColor = readColor(
    raw.unknownColor,
    below(at, 'unknownColor'),
    BOARD_DEFAULTS.unknownColor,
  );
  const layoutAt = below(at, 'layout');
  const layout =
    raw.layout === undefined || raw.layout === null
      ? {}
      : readObject(raw.layout, layoutAt, ['columns', 'minTileWidth']);
  const heartbeatMs = readDuration(
    raw.heartbeat,
    below(at, 'heartbeat'),
    BOARD_DEFAULTS.heartbeatMs,
    MIN_HEARTBEAT_MS,
  );
  const staleAfterMs = readDuration(
    raw.staleAfter,
    below(at, 'staleAfter'),
    BOARD_DEFAULTS.staleAfterMs,
    1,
  );
  if (staleAfterMs <= heartbeatMs) {
    throw invalidField(
      below(at, 'staleAfter'),
      `${staleAfterMs} ms is not longer than the heartbeat (${heartbeatMs} ms): the board would flicker stale between heartbeats; use at least twice the heartbeat.`,
    );
  }
  return {
    name,
    title: readString(raw.title, below(at, 'title'), name),
    topics: readTopics(raw.topics, below(at, 'topics')),
    titleField,
    orderField: readFieldName(raw.orderBy, below(at, 'orderBy'), titleField),
    order: readChoice(raw.order, below(at, 'order'), ['natural', 'text'], BOARD_DEFAULTS.order),
    lines: readLines(tile.lines, below(tileAt, 'lines')),
    sinceField: readFieldName(tile.since, below(tileAt, 'since'), undefined),
    stateField: readFieldName(tile.state, below(tileAt, 'state'), BOARD_DEFAULTS.stateField),
    deletedField: readFieldName(
      tile.deleted,
      below(tileAt, 'deleted'),
      BOARD_DEFAULTS.deletedField,
    ),
    staleField: readFieldName(tile.stale, below(tileAt, 'stale'), BOARD_DEFAULTS.staleField),
    states: readStates(raw.states, below(at, 'states')),
    unknownColor,
    unknownTextColor: inkFor(unknownColor),
    ...readClock(raw.clock, below(at, 'clock'), BOARD_DEFAULTS.locale),
    layout: {
      columns: readInteger(
        layout.columns,
        below(layoutAt, 'columns'),
        BOARD_DEFAULTS.columns,
        0,
        MAX_COLUMNS,
      ),
      minTileWidth: readInteger(
        layout.minTileWidth,
        below(layoutAt, 'minTileWidth'),
        BOARD_DEFAULTS.minTileWidth,
        40,
        1920,
      ),
    },
    heartbeatMs,
    staleAfterMs,
  };
}

/**
 * Validates the `boards` entry of a config file (`raw`, as parsed from YAML
 * or JSON; undefined or null means no boards). `source` names the file in
 * messages.
 *
 * @throws AndonError `ANDON_INVALID_SETTING` naming the file, the board and the field.
 */
export function parseBoards(raw: unknown, source: string): Board[] {
  if (raw === undefined || raw === null) return [];
  const at: FieldPath = { source, path: 'boards' };
  return Object.entries(readObject(raw, at)).map(([name, value]) =>
    readBoard(name, value, below(at, name)),
  );
}

/**
 * The boards a server shows: those of the config, plus `extra` (the demo
 * board) unless the config defines a board of the same name, which wins.
 */
export function withBoards(configured: readonly Board[], extra: readonly Board[]): Board[] {
  const names = new Set(configured.map((board) => board.name));
  return [...configured, ...extra.filter((board) => !names.has(board.name))];
}
