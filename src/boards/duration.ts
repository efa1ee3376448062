/**
 * How long a tile has been in its state, as the original board showed it:
 * the two largest units, zero parts left out (`45s`, `12m5s`, `2h2m`, `3d4h`, `2h`).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function pair(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${small}${smallUnit}`;
}

/**
 * Formats `ms` (a duration in milliseconds). Negative or non-finite values
 * (a `since` a little in the future, from a publisher whose clock runs
 * ahead) show as `0s`.
 */
export function formatDuration(ms: number): string {
  const t = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (t < MINUTE) return `${Math.floor(t / SECOND)}s`;
  if (t < HOUR) return pair(Math.floor(t / MINUTE), 'm', Math.floor((t % MINUTE) / SECOND), 's');
  if (t < DAY) return pair(Math.floor(t / HOUR), 'h', Math.floor((t % HOUR) / MINUTE), 'm');
  return pair(Math.floor(t / DAY), 'd', Math.floor((t % DAY) / HOUR), 'h');
}
