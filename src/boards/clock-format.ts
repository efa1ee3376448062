/**
 * The board's clock and date, in its time zone and locale, for the server's
 * first paint and the page's ticks alike (`Intl`, in Node and in browsers).
 */
import type { Board } from './types.js';

/** Formats times of one board. */
export interface ClockFormat {
  /** `14:05:09`: 24-hour time with seconds. */
  time(ms: number): string;
  /** `Monday 30 November 2026`, as the locale writes a full date. */
  date(ms: number): string;
}

/** The formats of `board`'s clock (build once: `Intl` formatters are costly to create). */
export function clockFormat(board: Pick<Board, 'timeZone' | 'locale'>): ClockFormat {
  const { timeZone, locale } = board;
  const time = new Intl.DateTimeFormat(locale, {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const date = new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  return { time: (ms) => time.format(ms), date: (ms) => date.format(ms) };
}
