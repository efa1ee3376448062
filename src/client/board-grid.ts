/**
 * The tiles of a board page in the DOM: hydrated from the server's render,
 * then added, changed, moved and removed as updates arrive, keyed by topic
 * (never looked up by a selector built from a topic, so any character in a
 * topic or a name is safe). Keeps the overview, the layout and the empty
 * notice in step. Holds one entry per tile and nothing else: a board open
 * for days uses the same memory as on its first minute.
 */
import { gridSize } from '../boards/layout.js';
import { type TileChange, tileComparator } from '../boards/model.js';
import { computeOverview } from '../boards/shares.js';
import { overviewHtml, sinceText, tileHtml } from '../boards/tile-html.js';
import type { Board, Tile } from '../boards/types.js';

interface Entry {
  tile: Tile;
  /** The tile as JSON: an update that changes nothing touches nothing. */
  json: string;
  el: HTMLElement;
  /** The duration element, if the tile has one. */
  since: HTMLElement | null;
}

/** The tiles of one board page. */
export class BoardGrid {
  readonly #board: Board;
  readonly #section: HTMLElement;
  readonly #overview: HTMLElement;
  readonly #empty: HTMLElement | null;
  readonly #entries = new Map<string, Entry>();
  readonly #compare: (a: Tile, b: Tile) => number;
  readonly #template: HTMLTemplateElement;
  #overviewHtml = '';
  #layout = '';

  /** Takes over the tiles the server rendered into `root` (`tiles` is what it rendered them from). */
  constructor(root: HTMLElement, board: Board, tiles: readonly Tile[]) {
    this.#board = board;
    this.#section = required(root.querySelector<HTMLElement>('.tiles'), '.tiles');
    this.#overview = required(root.querySelector<HTMLElement>('.overview'), '.overview');
    this.#empty = this.#section.querySelector<HTMLElement>('.tiles-empty');
    this.#compare = tileComparator(board);
    this.#template = document.createElement('template');
    const rendered = new Map<string, HTMLElement>();
    for (const el of this.#section.querySelectorAll<HTMLElement>('[data-tile]')) {
      rendered.set(el.dataset.tile ?? '', el);
    }
    for (const tile of tiles) {
      const el = rendered.get(tile.key);
      if (el !== undefined) this.#entries.set(tile.key, this.#entry(tile, el));
    }
    this.#overviewHtml = this.#overview.innerHTML;
  }

  /** Number of tiles. */
  get size(): number {
    return this.#entries.size;
  }

  /** The keys (topics) of the tiles shown. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** Applies one update. `now` (server time) sets the new tile's duration. */
  apply(change: TileChange, now: number): void {
    if (change.kind === 'delete') {
      const entry = this.#entries.get(change.key);
      if (entry === undefined) return;
      entry.el.remove();
      this.#entries.delete(change.key);
    } else {
      const { tile } = change;
      const json = JSON.stringify(tile);
      const entry = this.#entries.get(tile.key);
      if (entry !== undefined && entry.json === json) {
        // Republished as it is shown: confirmed, if a reset had put it in doubt.
        entry.el.removeAttribute('data-unconfirmed');
        return;
      }
      this.#template.innerHTML = tileHtml(this.#board, tile, now);
      const el = this.#template.content.firstElementChild as HTMLElement;
      const moved = entry === undefined || entry.tile.orderValue !== tile.orderValue;
      if (entry === undefined) this.#section.append(el);
      else entry.el.replaceWith(el);
      this.#entries.set(tile.key, this.#entry(tile, el, json));
      if (moved) this.#reorder();
    }
    this.#refresh();
  }

  /** Marks tiles whose data has not been confirmed since the hub lost track of this page (a reset). */
  markUnconfirmed(keys: Iterable<string>): void {
    for (const key of keys) this.#entries.get(key)?.el.setAttribute('data-unconfirmed', '');
  }

  /** Updates every duration to `now` (server time); writes only the texts that changed. */
  tick(now: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.since === null || entry.tile.since === undefined) continue;
      const text = sinceText(entry.tile.since, now);
      if (entry.since.textContent !== text) entry.since.textContent = text;
    }
  }

  /** Chooses columns and rows for the tiles and the space the grid has now. */
  layout(): void {
    const { clientWidth, clientHeight } = this.#section;
    const grid = gridSize(this.#board.layout, this.#entries.size, clientWidth, clientHeight);
    const key = `${grid.columns}x${grid.rows}`;
    if (key === this.#layout) return;
    this.#layout = key;
    this.#section.style.setProperty('--columns', String(grid.columns));
    this.#section.style.setProperty('--rows', String(grid.rows));
  }

  #entry(tile: Tile, el: HTMLElement, json = JSON.stringify(tile)): Entry {
    return { tile, json, el, since: el.querySelector<HTMLElement>('.tile-since') };
  }

  /** Puts the tile elements in the board's order, moving only those out of place. */
  #reorder(): void {
    const sorted = [...this.#entries.values()].sort((a, b) => this.#compare(a.tile, b.tile));
    let previous: Element | null = null;
    for (const { el } of sorted) {
      const expected: Element | null =
        previous === null ? this.#section.firstElementChild : previous.nextElementSibling;
      if (expected !== el) {
        if (previous === null) this.#section.prepend(el);
        else previous.after(el);
      }
      previous = el;
    }
  }

  #refresh(): void {
    const html = overviewHtml(computeOverview(this.#board, this.#tiles()));
    if (html !== this.#overviewHtml) {
      this.#overview.innerHTML = html;
      this.#overviewHtml = html;
    }
    if (this.#empty !== null) this.#empty.hidden = this.#entries.size > 0;
    this.layout();
  }

  *#tiles(): Generator<Tile> {
    for (const entry of this.#entries.values()) yield entry.tile;
  }
}

function required<T>(value: T | null, what: string): T {
  if (value === null)
    throw new Error(`The board page has no ${what} element; was it rendered by Andon?`);
  return value;
}
