/**
 * The board routes of the Andon server: `GET /boards` (the list),
 * `GET /boards/{name}` (a board, rendered complete from the hub's retained
 * state) and `GET /boards/{name}/events` (its feed, see `feed.ts`).
 *
 * A render reads the store's head first, then its retained state, and
 * embeds the id of the newest event it includes (or, when the newest one is
 * not the board's, the head read before): the page resumes after it, so
 * nothing published between the render and the subscription is missed;
 * what is replayed twice only sets a tile to the state it already shows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineObserver, EngineSettings } from '../engine/engine.js';
import { EARLIEST } from '../engine/replay.js';
import { refuse } from '../sse/response.js';
import type { Store, StoreFilter } from '../store/store.js';
import { anyOf, boardFilter } from './board-filter.js';
import { BoardFeed } from './feed.js';
import { sortTiles, tileFromUpdate } from './model.js';
import { type BoardView, renderBoardList, renderBoardPage, renderMessagePage } from './render.js';
import type { Board, Tile } from './types.js';

/** What {@link createBoardRoutes} needs. */
export interface BoardRoutesOptions {
  /** The boards, validated (`parseBoards`, plus the demo board with `--demo`). */
  readonly boards: readonly Board[];
  /** The hub's store. */
  readonly store: Store;
  /** Delivery settings of the feeds: the hub's. */
  readonly engine: Omit<EngineSettings, 'observer'>;
  /**
   * Whether the hub accepts anonymous subscribers. Boards are public pages
   * of public updates; on a hub that refuses anonymous subscribers they
   * answer 403 rather than show what its tokens protect.
   */
  readonly anonymous: boolean;
  /** Most concurrent feed subscribers. */
  readonly maxSubscribers: number;
  /** Hooks for logs (`error`: a store read failed) and metrics. */
  readonly observer?: EngineObserver;
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** The board routes. */
export interface BoardRoutes {
  /** Handles `req` (GET or HEAD) if its path is a board route; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): boolean;
  /** Ends the feeds. */
  close(): Promise<void>;
}

const PAGE = /^\/boards\/([^/]+)(\/events)?\/?$/;

function sendHtml(req: IncomingMessage, res: ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    // A board is live data: never show a cached render.
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Reads what `board` shows now, and where live delivery continues after it. */
export async function readBoardView(
  store: Store,
  board: Board,
  filter: StoreFilter,
  now: number,
): Promise<BoardView> {
  const head = await store.head();
  const snapshot = await store.latest(filter);
  const tiles = new Map<string, Tile>();
  for (const event of snapshot.events) {
    const change = tileFromUpdate(board, event.topics[0] ?? '', event.data);
    if (change.kind === 'delete') tiles.delete(change.key);
    else tiles.set(change.tile.key, change.tile);
  }
  const newest = snapshot.events.at(-1);
  let lastEventId = EARLIEST;
  let position = 0;
  if (newest !== undefined && newest.position === snapshot.through) {
    ({ id: lastEventId, position } = newest);
  } else if (head !== undefined) {
    ({ id: lastEventId, position } = head);
  }
  return { tiles: sortTiles(board, tiles.values()), lastEventId, position, now };
}

/** Builds the board routes and their feed. */
export function createBoardRoutes(options: BoardRoutesOptions): BoardRoutes {
  const { store, observer } = options;
  const now = options.now ?? Date.now;
  const boards = new Map(
    options.boards.map((board) => [board.name, { board, filter: boardFilter(board) }]),
  );
  const feed = new BoardFeed({
    store,
    relevant: anyOf([...boards.values()].map((entry) => entry.filter)),
    engine: options.engine,
    maxSubscribers: options.maxSubscribers,
    ...(observer === undefined ? {} : { observer }),
  });

  const page = (req: IncomingMessage, res: ServerResponse, board: Board, filter: StoreFilter) => {
    readBoardView(store, board, filter, now()).then(
      (view) => sendHtml(req, res, 200, renderBoardPage(board, view)),
      (error: unknown) => {
        observer?.error?.(error);
        refuse(res, 503, 'The board cannot read the hub’s store now; retry shortly.', {
          'Retry-After': '5',
        });
      },
    );
  };

  return {
    handle(req, res, path, query) {
      if (path === '/boards' || path === '/boards/') {
        sendHtml(req, res, 200, renderBoardList(options.boards));
        return true;
      }
      const match = PAGE.exec(path);
      if (match === null) return false;
      const entry = boards.get(match[1]!);
      if (entry === undefined) {
        const known = options.boards.map((b) => b.name).join(', ');
        sendHtml(
          req,
          res,
          404,
          renderMessagePage(
            'No such board',
            `There is no board named "${match[1]}"; ${known === '' ? 'no boards are configured' : `the boards are ${known}`}.`,
          ),
        );
        return true;
      }
      if (!options.anonymous) {
        const sentence =
          'Boards are public pages: they show what anonymous subscribers receive, and this hub does not accept them. Start it with --anonymous (anonymous: true in the config file) to show boards.';
        if (match[2] === undefined)
          sendHtml(req, res, 403, renderMessagePage('Boards are off', sentence));
        else refuse(res, 403, sentence);
        return true;
      }
      if (match[2] === undefined) page(req, res, entry.board, entry.filter);
      else if (req.method !== 'GET')
        refuse(res, 405, 'Subscribe to a board feed with GET.', { Allow: 'GET' });
      else feed.serve(req, res, query, entry.filter);
      return true;
    },
    close: () => feed.close(),
  };
}
