/**
 * What the server embeds in a board's page for its script: the board, the
 * tiles it rendered, and where to resume. Shared by the server's render and
 * the browser's `board-page.ts`.
 */
import type { Board, Tile } from './types.js';

/** The id of the `<script type="application/json">` holding {@link BoardPageData}. */
export const PAGE_DATA_ID = 'andon-board';

/** The data of a rendered board page. */
export interface BoardPageData {
  readonly board: Board;
  /** The tiles rendered, in the board's order. */
  readonly tiles: readonly Tile[];
  /** URL of the board feed the page subscribes to. */
  readonly feed: string;
  /** Id of the newest event the render includes: the page resumes right after it (`earliest` for an empty hub). */
  readonly lastEventId: string;
}
