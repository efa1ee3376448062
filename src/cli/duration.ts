/**
 * Durations in settings: a number with a unit, `1ms`, `250ms`, `1s`, `1.5s`,
 * `2m`, `1h`, `7d`. A bare number is refused: a unit-less `1` is too easy to misread.
 */
import { AndonError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a duration into whole milliseconds. `setting` names the flag in the
 * error, which says what was given and what is accepted.
 */
export function parseDuration(setting: string, text: string): number {
  const match = DURATION.exec(text.trim());
  const unit = match === null ? undefined : UNITS[match[2]!];
  if (match === null || unit === undefined) {
    throw new AndonError(
      'ANDON_INVALID_SETTING',
      `${setting}: "${text}" is not a duration; use a number and a unit, e.g. 1ms, 500ms, 1s, 2m, 1h, 7d.`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}
