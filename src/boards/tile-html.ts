/**
 * The HTML of a tile and of the overview, shared by the server (the page is
 * complete at first paint) and the browser (tiles added or changed live), so
 * both draw the same markup. Every value from a board or an update is
 * escaped here, in one place: a name holding `<`, `"`, `&` or `;` is text.
 */
import { formatDuration } from './duration.js';
import { tileColors } from './model.js';
import type { Overview } from './shares.js';
import type { Board, Tile } from './types.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` escaped for HTML text and for double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The text of a tile's duration element, from the state's start and the current time. */
export function sinceText(since: number, now: number): string {
  return formatDuration(now - since);
}

/**
 * One tile: `<article class="tile" data-tile="<topic>" data-state="<state>">`
 * with its colours as custom properties, its title, state label, lines,
 * duration (`<time class="tile-since" data-since="<ms>">`, ticked by the page)
 * and, for malformed data, the error.
 */
export function tileHtml(board: Board, tile: Tile, now: number): string {
  const { color, textColor } = tileColors(board, tile);
  const label =
    tile.error !== undefined
      ? 'Invalid data'
      : (board.states.find((s) => s.value === tile.state)?.label ?? tile.state);
  const flags = `${tile.stale ? ' data-stale' : ''}${tile.error !== undefined ? ' data-error' : ''}`;
  const lines = tile.lines
    .map(
      (line) =>
        `<div class="tile-line">${line.label === undefined ? '' : `<dt>${escapeHtml(line.label)}</dt>`}<dd>${escapeHtml(line.value)}</dd></div>`,
    )
    .join('');
  const since =
    tile.since === undefined
      ? ''
      : `<time class="tile-since" data-since="${tile.since}">${sinceText(tile.since, now)}</time>`;
  return (
    `<article class="tile" data-tile="${escapeHtml(tile.key)}" data-state="${escapeHtml(tile.state)}"${flags}` +
    ` style="--tile-color:${escapeHtml(color)};--tile-ink:${escapeHtml(textColor)}">` +
    `<h2 class="tile-title">${escapeHtml(tile.title)}</h2>` +
    (lines === '' ? '' : `<dl class="tile-lines">${lines}</dl>`) +
    (tile.error === undefined ? '' : `<p class="tile-error">${escapeHtml(tile.error)}</p>`) +
    `<p class="tile-foot"><span class="tile-state">${escapeHtml(label)}</span>${since}</p>` +
    '</article>'
  );
}

/** The text of the overview's tile count: `20 tiles`, `1 tile`, `0 tiles`. */
export function countText(total: number): string {
  return `${total} ${total === 1 ? 'tile' : 'tiles'}`;
}

/**
 * The overview: a bar of the shares and their text, e.g. `Production 30% ·
 * Downtime 55% · Poweroff 15%`, each share a `<span class="share"
 * data-state data-count data-percent>`; with no tiles, `0 tiles` only.
 */
export function overviewHtml(overview: Overview): string {
  const count = `<span class="overview-count" data-total="${overview.total}">${countText(overview.total)}</span>`;
  if (overview.total === 0) {
    return `<div class="overview-bar" aria-hidden="true"></div><p class="overview-text"></p>${count}`;
  }
  const bar = overview.entries
    .filter((entry) => entry.count > 0)
    .map(
      (entry) =>
        `<span style="flex-grow:${entry.count};background:${escapeHtml(entry.color)}"></span>`,
    )
    .join('');
  const shares = overview.entries
    .map(
      (entry) =>
        `<span class="share" data-state="${escapeHtml(entry.value)}" data-count="${entry.count}" data-percent="${entry.percent}">` +
        `<i class="swatch" style="background:${escapeHtml(entry.color)}"></i>${escapeHtml(entry.label)} ${entry.percent}%</span>`,
    )
    .join('<span class="sep"> · </span>');
  return `<div class="overview-bar" aria-hidden="true">${bar}</div><p class="overview-text">${shares}</p>${count}`;
}
