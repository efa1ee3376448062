/**
 * The sections of a board's config that are more than one value: its
 * topics, the lines of its tiles, its states and its clock. Each reader
 * validates its section and names the field at fault (see `config-fields.ts`).
 */
import { isAndonError } from '../errors.js';
import { compileSelector } from '../mercure/topic-selector.js';
import { compileUriTemplate } from '../mercure/uri-template.js';
import {
  below,
  type FieldPath,
  invalidField,
  readColor,
  readFieldName,
  readObject,
  readString,
  shown,
} from './config-fields.js';
import { inkFor } from './css-color.js';
import type { BoardState, TileLine } from './types.js';

/** The server's time zone: the default of a board's clock. */
function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The `topics` of a board: a topic or URI template, or a list of them; each must compile. */
export function readTopics(value: unknown, at: FieldPath): string[] {
  if (value === undefined || value === null) {
    throw invalidField(
      at,
      "is required: the URI template of the tiles' topics, e.g. https://andon.example/workplaces/{id}.",
    );
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalidField(at, 'must list at least one topic or URI template.');
  return list.map((item, i) => {
    const where = Array.isArray(value) ? below(at, String(i)) : at;
    const topic = readString(item, where, undefined);
    if (topic === undefined) throw invalidField(where, 'must be a topic or URI template.');
    try {
      compileSelector(topic);
    } catch (error) {
      if (isAndonError(error)) throw invalidField(where, error.message);
      throw error;
    }
    if (topic.includes('{') && compileUriTemplate(topic) === undefined) {
      throw invalidField(
        where,
        `${shown(topic)} is not a valid URI template (RFC 6570); check its braces.`,
      );
    }
    return topic;
  });
}

/** The `tile.lines`: field names, or `{ field, label }` entries. */
export function readLines(value: unknown, at: FieldPath): TileLine[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalidField(
      at,
      'must be a list of fields, e.g. [{ field: operator, label: Operator }].',
    );
  return value.map((item, i) => {
    const where = below(at, String(i));
    if (typeof item === 'string') return { field: readFieldName(item, where, '') };
    const line = readObject(item, where, ['field', 'label']);
    const field = readFieldName(line.field, below(where, 'field'), undefined);
    if (field === undefined)
      throw invalidField(below(where, 'field'), 'is required: the field shown on this line.');
    const label = readString(line.label, below(where, 'label'), undefined);
    return label === undefined ? { field } : { field, label };
  });
}

/** The `states`: value → `{ color, label, textColor }` (or just the colour), in overview order. */
export function readStates(value: unknown, at: FieldPath): BoardState[] {
  if (value === undefined || value === null) {
    throw invalidField(
      at,
      "is required: the states and their colours, e.g. { Production: { color: '#89AB0F' } }.",
    );
  }
  const entries = Object.entries(readObject(value, at));
  if (entries.length === 0) throw invalidField(at, 'must list at least one state.');
  return entries.map(([stateValue, spec]) => {
    const where = below(at, stateValue);
    // Shorthand: `Production: '#89AB0F'`.
    const state =
      typeof spec === 'string'
        ? { color: spec }
        : readObject(spec, where, ['color', 'label', 'textColor']);
    const color = readColor(state.color, below(where, 'color'), undefined);
    if (color === undefined)
      throw invalidField(
        below(where, 'color'),
        'is required: the CSS colour of tiles in this state.',
      );
    return {
      value: stateValue,
      label: readString(state.label, below(where, 'label'), stateValue),
      color,
      textColor: readColor(state.textColor, below(where, 'textColor'), inkFor(color)),
    };
  });
}

/** The `clock`: an IANA time zone (default the server's) and a BCP 47 locale (default `defaultLocale`). */
export function readClock(
  value: unknown,
  at: FieldPath,
  defaultLocale: string,
): { timeZone: string; locale: string } {
  const clock =
    value === undefined || value === null ? {} : readObject(value, at, ['timeZone', 'locale']);
  const timeZone = readString(clock.timeZone, below(at, 'timeZone'), serverTimeZone());
  const locale = readString(clock.locale, below(at, 'locale'), defaultLocale);
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw invalidField(
      below(at, 'timeZone'),
      `${shown(timeZone)} is not a time zone; use an IANA name such as Europe/Prague or UTC.`,
    );
  }
  try {
    Intl.getCanonicalLocales(locale);
  } catch {
    throw invalidField(
      below(at, 'locale'),
      `${shown(locale)} is not a locale; use a BCP 47 tag such as cs-CZ or en-GB.`,
    );
  }
  return { timeZone, locale };
}
