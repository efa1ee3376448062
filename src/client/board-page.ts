/**
 * The script of a board page (`/boards/{name}`), served at
 * `/assets/client/board-page.js`. The server rendered the page complete; this
 * takes it over and keeps it live:
 *
 * - subscribes to the board's feed with `andon/client`, resuming right after
 *   the event the render included, with retained state as the fallback;
 * - applies each update to its tile (keyed by topic), the overview and the
 *   layout;
 * - shows the subscription's state as the root's `data-connection`
 *   (`connecting`, `open`, `reconnecting`);
 * - marks the root `data-stale` (with `data-stale-since`, and a note "stale
 *   since HH:MM:SS") when nothing, not even a heartbeat, arrived for the
 *   board's `staleAfter`, and clears it when data flows again: no reload;
 * - ticks the clock and the durations from the server's clock (estimated
 *   once, refreshed now and then), on one timer aligned to the server's
 *   seconds, so every screen turns the second at the same moment.
 */

import { clockFormat } from '../boards/clock-format.js';
import { unwrapUpdate } from '../boards/envelope.js';
import { tileFromUpdate } from '../boards/model.js';
import { type BoardPageData, PAGE_DATA_ID } from '../boards/page-data.js';
import { BoardGrid } from './board-grid.js';
import { subscribe } from './live.js';
import { ServerClock } from './server-clock.js';

/** After a reset, tiles not republished within this long are marked unconfirmed (the retained state follows a reset at once). */
const RESET_CONFIRM_MS = 1000;
/** The tick lands this long after the server's second turns, so rounding never shows the previous second. */
const TICK_LATE_MS = 2;

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null)
    throw new Error(`The board page has no ${selector} element; was it rendered by Andon?`);
  return found;
}

const dataScript = document.getElementById(PAGE_DATA_ID);
if (dataScript === null)
  throw new Error(`The board page has no #${PAGE_DATA_ID} script; was it rendered by Andon?`);
const page = JSON.parse(dataScript.textContent ?? '') as BoardPageData;
const { board } = page;
const root = element<HTMLElement>('[data-board]');
const clockEl = element<HTMLElement>('.board-clock');
const dateEl = element<HTMLElement>('.board-date');
const staleNote = element<HTMLElement>('.stale-note');
const format = clockFormat(board);
const grid = new BoardGrid(root, board, page.tiles);
const clock = new ServerClock();

let resetTimer: ReturnType<typeof setTimeout> | undefined;
let unconfirmed: Set<string> | undefined;

const live = subscribe({
  hub: page.feed,
  topics: board.topics,
  retained: true,
  lastEventId: page.lastEventId,
  heartbeatMs: board.heartbeatMs,
  staleAfterMs: board.staleAfterMs,
});

live.on('update', (update) => {
  const inner = unwrapUpdate(update.data);
  if (inner === undefined) {
    console.warn(`andon board: event ${update.id} is not a board update; ignored.`);
    return;
  }
  unconfirmed?.delete(inner.topic);
  grid.apply(tileFromUpdate(board, inner.topic, inner.data), clock.now());
});

live.on('reset', () => {
  // The hub no longer knows where this page was: the retained state follows. A tile it
  // does not hold (its topic evicted, or a hub restarted without its history) is marked.
  unconfirmed = new Set(grid.keys());
  clearTimeout(resetTimer);
  resetTimer = setTimeout(() => {
    if (unconfirmed !== undefined) grid.markUnconfirmed(unconfirmed);
    unconfirmed = undefined;
  }, RESET_CONFIRM_MS);
});

live.on('stale', (since) => {
  root.dataset.stale = '';
  root.dataset.staleSince = new Date(since).toISOString();
  // `since` is this machine's time; shown in the server's time like the clock.
  staleNote.textContent = `stale since ${format.time(since + clock.offset)}`;
  staleNote.hidden = false;
});

live.on('live', () => {
  delete root.dataset.stale;
  delete root.dataset.staleSince;
  staleNote.hidden = true;
  staleNote.textContent = '';
});

// `connecting`, `open`, `reconnecting`: for users' CSS and for tests.
root.dataset.connection = live.state;
live.on('state', (state) => {
  root.dataset.connection = state;
});

live.on('error', (error) => {
  console.warn(`andon board: ${error.message}`);
});

let shownDate = '';
let tickTimer: ReturnType<typeof setTimeout> | undefined;

/** Shows the time `now` (server ms) and schedules the next tick for the next server second. */
function tick(): void {
  const now = clock.now();
  const second = now - (now % 1000);
  const time = format.time(second);
  if (clockEl.textContent !== time) clockEl.textContent = time;
  clockEl.dataset.time = String(second);
  const date = format.date(second);
  if (date !== shownDate) {
    dateEl.textContent = date;
    shownDate = date;
  }
  grid.tick(now);
  clearTimeout(tickTimer);
  tickTimer = setTimeout(tick, 1000 - (clock.now() % 1000) + TICK_LATE_MS);
}

window.addEventListener('resize', () => grid.layout());
grid.layout();
tick();
// A new estimate moves the server's seconds: show it and realign the tick at once.
clock.on('sync', tick);
void clock.start();
