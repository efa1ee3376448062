/**
 * Reading one entry of a board's config: each reader checks a value's type
 * and range and, when it is wrong, throws `ANDON_INVALID_SETTING` naming the
 * file and the full path of the field (`config/andon.yaml:
 * boards.hall.states.Downtime.color: "#zzz" is not a CSS colour ...`).
 */
import { parseDuration } from '../cli/duration.js';
import { AndonError } from '../errors.js';
import { isCssColor } from './css-color.js';

/** Where a value sits: the file it came from and its path in it. */
export interface FieldPath {
  /** The config file (or whatever gave the boards), for the message. */
  readonly source: string;
  /** Dotted path, e.g. `boards.hall.layout.columns`. */
  readonly path: string;
}

/** The path of `key` below `at`. */
export function below(at: FieldPath, key: string): FieldPath {
  return { source: at.source, path: `${at.path}.${key}` };
}

/** The error for a wrong value at `at`. */
export function invalidField(at: FieldPath, message: string): AndonError {
  return new AndonError('ANDON_INVALID_SETTING', `${at.source}: ${at.path}: ${message}`);
}

/** How a value is shown in a message: strings quoted, the rest as JSON. */
export function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** `value` as an object of entries, refusing keys not in `known` (a typo must not pass silently). */
export function readObject(
  value: unknown,
  at: FieldPath,
  known?: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidField(at, `must be a mapping of keys to values, not ${shown(value)}.`);
  }
  if (known !== undefined) {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        throw invalidField(below(at, key), `unknown key; known keys are ${known.join(', ')}.`);
      }
    }
  }
  return value as Record<string, unknown>;
}

/** A non-empty string (numbers are taken as text), or `fallback` when absent. */
export function readString<T extends string | undefined>(
  value: unknown,
  at: FieldPath,
  fallback: T,
): string | T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidField(at, `must be a non-empty string, not ${shown(value)}.`);
  }
  return value;
}

/** A dotted field path into an update's data (`operator`, `order.number`). */
export function readFieldName<T extends string | undefined>(
  value: unknown,
  at: FieldPath,
  fallback: T,
): string | T {
  const field = readString(value, at, fallback);
  if (field?.split('.').some((part) => part === '')) {
    throw invalidField(
      at,
      `${shown(field)} is not a field name; use a name or a dotted path such as order.number.`,
    );
  }
  return field;
}

/** A whole number from `min` to `max`, or `fallback` when absent. */
export function readInteger(
  value: unknown,
  at: FieldPath,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidField(at, `${shown(value)} is not a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** A duration with a unit (`5s`, `500ms`), at least `min` ms, or `fallback` when absent. */
export function readDuration(value: unknown, at: FieldPath, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback;
  const ms = parseDuration(`${at.source}: ${at.path}`, String(value));
  if (ms < min) throw invalidField(at, `${shown(value)} is too short; use at least ${min} ms.`);
  return ms;
}

/** A CSS colour, or `fallback` when absent. */
export function readColor<T extends string | undefined>(
  value: unknown,
  at: FieldPath,
  fallback: T,
): string | T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !isCssColor(value.trim())) {
    throw invalidField(
      at,
      `${shown(value)} is not a CSS colour; use a hex colour (#89AB0F), rgb(137 171 15), hsl(...) or a colour name.`,
    );
  }
  return value.trim();
}

/** One of `choices`, or `fallback` when absent. */
export function readChoice<T extends string>(
  value: unknown,
  at: FieldPath,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === null) return fallback;
  if (!(choices as readonly unknown[]).includes(value)) {
    throw invalidField(at, `${shown(value)} is not one of ${choices.join(', ')}.`);
  }
  return value as T;
}
