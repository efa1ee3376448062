/**
 * The board pages as HTML strings, rendered by the server: a board complete
 * at first paint (tiles, overview, clock), carrying what the page needs to
 * go live from exactly where the render stood; the list of boards; and the
 * page for a board that does not exist. Pure: the routes supply the data.
 */
import { clockFormat } from './clock-format.js';
import { DEFAULT_GRID, gridSize } from './layout.js';
import { type BoardPageData, PAGE_DATA_ID } from './page-data.js';
import { computeOverview } from './shares.js';
import { escapeHtml, overviewHtml, tileHtml } from './tile-html.js';
import type { Board, Tile } from './types.js';

/** The page's script (compiled from `src/client/board-page.ts`). */
export const BOARD_SCRIPT = '/assets/client/board-page.js';
/** The boards' style sheet (`web/board.css`). */
export const BOARD_STYLES = '/assets/board.css';

/** What one render shows. */
export interface BoardView {
  /** The tiles, in the board's order. */
  readonly tiles: readonly Tile[];
  /** Id of the newest event the render includes (`earliest` for an empty hub). */
  readonly lastEventId: string;
  /** Store position of that event (0 for none), shown as `data-position` for diagnosis. */
  readonly position: number;
  /** Server time of the render. */
  readonly now: number;
}

/** The URL of a board's page. */
export function boardPath(board: Pick<Board, 'name'>): string {
  return `/boards/${board.name}`;
}

/** The URL of a board's feed. */
export function feedPath(board: Pick<Board, 'name'>): string {
  return `${boardPath(board)}/events`;
}

/** JSON that is safe inside `<script>`: no `</script>` or `<!--` can end it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function head(title: string, locale: string, script: boolean): string {
  return (
    `<!doctype html>\n<html lang="${escapeHtml(locale)}">\n<head>\n<meta charset="utf-8">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(title)}</title>\n<link rel="icon" href="/favicon.svg" type="image/svg+xml">\n` +
    `<link rel="stylesheet" href="${BOARD_STYLES}">\n` +
    (script ? `<script type="module" src="${BOARD_SCRIPT}"></script>\n` : '') +
    '</head>\n'
  );
}

/** The page of one board, complete: every tile, the overview, the clock. */
export function renderBoardPage(board: Board, view: BoardView): string {
  const grid = gridSize(board.layout, view.tiles.length, DEFAULT_GRID.width, DEFAULT_GRID.height);
  const format = clockFormat(board);
  const data: BoardPageData = {
    board,
    tiles: view.tiles,
    feed: feedPath(board),
    lastEventId: view.lastEventId,
  };
  const tiles = view.tiles.map((tile) => tileHtml(board, tile, view.now)).join('\n');
  const empty = `<p class="tiles-empty"${view.tiles.length > 0 ? ' hidden' : ''}>No tiles yet: waiting for updates on ${escapeHtml(board.topics.join(', '))}.</p>`;
  return (
    head(`${board.title} · Andon`, board.locale, true) +
    `<body>\n<main class="board" data-board="${escapeHtml(board.name)}" data-position="${view.position}"` +
    ` data-last-event-id="${escapeHtml(view.lastEventId)}">\n` +
    '<header class="board-head">\n' +
    `<h1 class="board-title">${escapeHtml(board.title)}</h1>\n` +
    `<div class="overview" role="status">${overviewHtml(computeOverview(board, view.tiles))}</div>\n` +
    '</header>\n' +
    `<section class="tiles" style="--columns:${grid.columns};--rows:${grid.rows}" aria-label="Tiles">\n${tiles}\n${empty}\n</section>\n` +
    '<footer class="board-foot">\n' +
    `<time class="board-date">${escapeHtml(format.date(view.now))}</time>\n` +
    '<p class="stale-note" role="alert" hidden></p>\n' +
    `<time class="board-clock" data-time="${view.now}">${escapeHtml(format.time(view.now))}</time>\n` +
    '</footer>\n</main>\n' +
    `<script type="application/json" id="${PAGE_DATA_ID}">${scriptJson(data)}</script>\n` +
    '</body>\n</html>\n'
  );
}

/** The list of boards at `/boards`. */
export function renderBoardList(boards: readonly Board[]): string {
  const items = boards
    .map(
      (board) =>
        `<li><a href="${escapeHtml(boardPath(board))}">${escapeHtml(board.title)}</a> <code>${escapeHtml(boardPath(board))}</code></li>`,
    )
    .join('\n');
  const body =
    boards.length === 0
      ? '<p>No boards are configured. Define one under <code>boards:</code> in the config file (see docs/boards.md), or start the hub with <code>--demo</code>.</p>'
      : `<ul class="board-list">\n${items}\n</ul>`;
  return `${head('Boards · Andon', 'en', false)}<body class="page">\n<main>\n<h1>Boards</h1>\n${body}\n</main>\n</body>\n</html>\n`;
}

/** A page saying why there is no board here (unknown name, boards off). */
export function renderMessagePage(title: string, sentence: string): string {
  return (
    `${head(`${title} · Andon`, 'en', false)}<body class="page">\n<main>\n<h1>${escapeHtml(title)}</h1>\n` +
    `<p class="message">${escapeHtml(sentence)}</p>\n<p><a href="/boards">All boards</a></p>\n</main>\n</body>\n</html>\n`
  );
}
