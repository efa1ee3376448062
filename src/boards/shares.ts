/**
 * The overview above the grid: the share of tiles in each state, in whole
 * percents that always add up to exactly 100 (largest-remainder rounding),
 * and nothing divided by zero when the board has no tiles.
 */
import type { Board, Tile } from './types.js';

/** The value of the overview entry that gathers tiles in states the board does not list. */
export const UNKNOWN_STATE = '';
/** The label of that entry. */
export const UNKNOWN_LABEL = 'Other';

/** One state in the overview. */
export interface OverviewEntry {
  /** The state's value (`data-state`); {@link UNKNOWN_STATE} for unlisted states. */
  readonly value: string;
  readonly label: string;
  readonly color: string;
  readonly textColor: string;
  /** Tiles in this state. */
  readonly count: number;
  /** Whole percent of all tiles; the entries' percents add up to 100 (0 when there are no tiles). */
  readonly percent: number;
}

/** The overview of a board's tiles. */
export interface Overview {
  /** Number of tiles. */
  readonly total: number;
  /** The board's states in its order, then {@link UNKNOWN_STATE} when any tile is in an unlisted state. */
  readonly entries: readonly OverviewEntry[];
}

/**
 * Splits 100 in proportion to `counts` into whole numbers that add up to
 * exactly 100: each gets the floor of its quota, and the points left go to
 * the largest remainders (ties to the earlier entry). All zeros when the
 * counts add up to 0.
 */
export function largestRemainder(counts: readonly number[]): number[] {
  let sum = 0;
  for (const count of counts) sum += count;
  if (sum <= 0) return counts.map(() => 0);
  // Integer arithmetic: quota = count * 100 / sum, exactly, as floor and remainder.
  const floors = counts.map((count) => Math.floor((count * 100) / sum));
  const remainders = counts.map((count) => (count * 100) % sum);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = counts.map((_, i) => i).sort((a, b) => remainders[b]! - remainders[a]! || a - b);
  for (const i of order) {
    if (left === 0) break;
    floors[i]!++;
    left--;
  }
  return floors;
}

/** Counts `tiles` by state and computes the shares. */
export function computeOverview(board: Board, tiles: Iterable<Tile>): Overview {
  const counts = board.states.map(() => 0);
  let unknown = 0;
  let total = 0;
  for (const tile of tiles) {
    total++;
    const index =
      tile.error === undefined ? board.states.findIndex((s) => s.value === tile.state) : -1;
    if (index === -1) unknown++;
    else counts[index]!++;
  }
  if (unknown > 0) counts.push(unknown);
  const percents = largestRemainder(counts);
  const entries: OverviewEntry[] = board.states.map((state, i) => ({
    value: state.value,
    label: state.label,
    color: state.color,
    textColor: state.textColor,
    count: counts[i]!,
    percent: percents[i]!,
  }));
  if (unknown > 0) {
    entries.push({
      value: UNKNOWN_STATE,
      label: UNKNOWN_LABEL,
      color: board.unknownColor,
      textColor: board.unknownTextColor,
      count: unknown,
      percent: percents[counts.length - 1]!,
    });
  }
  return { total, entries };
}
