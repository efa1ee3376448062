/**
 * How many columns and rows the grid has: enough columns that the tiles,
 * stretched to fill the screen, come out close to a landscape card shape.
 * Pure: the server computes it for a 1920x1080 screen so the first paint is
 * right on the default wall screen; the page computes it again for its real
 * size, and again when the number of tiles changes.
 */
import type { BoardLayout } from './types.js';

/** Width over height a tile looks best at: room for a title, three lines and a duration. */
export const TILE_ASPECT = 1.6;
/** The screen `minTileWidth` is given for. */
export const REFERENCE_WIDTH = 1920;
/** The grid area of a 1920x1080 board (the header and footer take the rest). */
export const DEFAULT_GRID = { width: 1880, height: 850 } as const;

/** Columns and rows of the grid. */
export interface GridSize {
  readonly columns: number;
  readonly rows: number;
}

/**
 * The grid for `count` tiles in an area of `width` by `height` pixels. With
 * `layout.columns` set, that many columns (fewer when there are fewer
 * tiles). Otherwise the column count, at most what `minTileWidth` allows,
 * that gives the largest tiles of {@link TILE_ASPECT}. No tiles: one cell.
 */
export function gridSize(
  layout: BoardLayout,
  count: number,
  width: number,
  height: number,
): GridSize {
  if (count <= 0) return { columns: 1, rows: 1 };
  if (layout.columns > 0) {
    const columns = Math.min(layout.columns, count);
    return { columns, rows: Math.ceil(count / columns) };
  }
  // minTileWidth is given at 1920 px and scales with the screen, so the cap is screen-independent.
  const maxColumns = Math.max(1, Math.floor(REFERENCE_WIDTH / layout.minTileWidth));
  let best: GridSize = { columns: 1, rows: count };
  let bestSize = -1;
  for (let columns = 1; columns <= Math.min(count, maxColumns); columns++) {
    const rows = Math.ceil(count / columns);
    // The largest tile of the ideal shape that fits in one cell.
    const size = Math.min(width / columns, (height / rows) * TILE_ASPECT);
    if (size > bestSize + 1e-9) {
      best = { columns, rows };
      bestSize = size;
    }
  }
  return best;
}
