/**
 * The board model, shared by the server's render and the browser: what an
 * update (a topic and its JSON data) does to a tile, and the order of tiles.
 * Pure: no I/O, no DOM, no clock. Nothing a publisher sends can make it
 * throw: malformed data becomes a tile that shows the error, and any
 * character in a name (`;`, `<`, quotes) is only ever data.
 */
import { naturalCompare, textCompare } from './natural-sort.js';
import type { Board, BoardState, Tile, TileText } from './types.js';

/** Longest text kept from one field: a tile has room for a line, not a document. */
export const MAX_FIELD_CHARS = 200;

/** What an update does: set a tile, or delete it. */
export type TileChange =
  | { readonly kind: 'set'; readonly tile: Tile }
  | { readonly kind: 'delete'; readonly key: string };

/**
 * The value at a dotted `path` (`order.number`) of `data`, reading own
 * properties only (never the prototype chain), or undefined.
 */
export function readField(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A field's value as text: strings as they are, numbers and booleans printed, objects as JSON; capped. */
export function fieldText(value: unknown): string {
  let text: string;
  if (value === undefined || value === null) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else text = JSON.stringify(value) ?? '';
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS - 1)}…` : text;
}

/** A time as ms since the epoch: a number (ms), digits (ms) or an ISO 8601 string; otherwise undefined. */
export function parseSince(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\d+$/.test(value)) ms = Number(value);
  else if (typeof value === 'string') ms = Date.parse(value);
  else return undefined;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The last path segment of a topic: the title of a tile whose data has none. */
export function topicName(topic: string): string {
  const trimmed = topic.endsWith('/') ? topic.slice(0, -1) : topic;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || topic;
}

/** The board's state with this value, if it lists one. */
export function stateOf(board: Board, value: string): BoardState | undefined {
  return board.states.find((state) => state.value === value);
}

/** Background and text colour of a tile. */
export function tileColors(board: Board, tile: Tile): { color: string; textColor: string } {
  const state = tile.error === undefined ? stateOf(board, tile.state) : undefined;
  return state ?? { color: board.unknownColor, textColor: board.unknownTextColor };
}

function errorTile(key: string, error: string): Tile {
  const title = topicName(key);
  return {
    key,
    title,
    orderValue: title,
    lines: [],
    state: '',
    since: undefined,
    stale: false,
    error,
  };
}

/**
 * What the update with `data` on `topic` does to its tile. Empty data (or
 * only whitespace) and an object whose deleted field is `true` delete it;
 * data that is not a JSON object gives a tile that shows why.
 */
export function tileFromUpdate(board: Board, topic: string, data: string): TileChange {
  if (data.trim() === '') return { kind: 'delete', key: topic };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    return { kind: 'set', tile: errorTile(topic, `Malformed JSON: ${(error as Error).message}`) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'set', tile: errorTile(topic, 'The data is not a JSON object.') };
  }
  if (readField(value, board.deletedField) === true) return { kind: 'delete', key: topic };
  const title = fieldText(readField(value, board.titleField)) || topicName(topic);
  const orderValue =
    board.orderField === board.titleField ? title : fieldText(readField(value, board.orderField));
  const lines: TileText[] = [];
  for (const line of board.lines) {
    const text = fieldText(readField(value, line.field));
    if (text !== '') lines.push({ label: line.label, value: text });
  }
  return {
    kind: 'set',
    tile: {
      key: topic,
      title,
      orderValue,
      lines,
      state: fieldText(readField(value, board.stateField)),
      since:
        board.sinceField === undefined ? undefined : parseSince(readField(value, board.sinceField)),
      stale: readField(value, board.staleField) === true,
      error: undefined,
    },
  };
}

/** The board's tile order: by order value (natural or text), then by key, so it is total. */
export function tileComparator(board: Board): (a: Tile, b: Tile) => number {
  const compare = board.order === 'natural' ? naturalCompare : textCompare;
  return (a, b) => compare(a.orderValue, b.orderValue) || textCompare(a.key, b.key);
}

/** `tiles` in the board's order (a new array). */
export function sortTiles(board: Board, tiles: Iterable<Tile>): Tile[] {
  return [...tiles].sort(tileComparator(board));
}
