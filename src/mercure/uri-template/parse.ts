/** Parsing an RFC 6570 template into literal runs and expressions, within the limits. */
import { RESERVED, UNRESERVED } from './chars.js';
import { limitError, MAX_TEMPLATE_EXPRESSIONS, MAX_TEMPLATE_VARIABLES } from './limits.js';

/** ASCII characters RFC 6570 allows in literals (`%` only as a triplet, checked apart). */
const LITERAL_ASCII = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) LITERAL_ASCII[c] = 1;
for (const c of ' "\'%<>\\^`{|}') LITERAL_ASCII[c.charCodeAt(0)] = 0;

/** An RFC 6570 operator's expansion rules (RFC 6570 appendix A). */
export interface Operator {
  readonly first: string;
  readonly sep: string;
  readonly named: boolean;
  readonly ifemp: string;
  readonly allow: number;
}

const U = UNRESERVED;
const UR = UNRESERVED | RESERVED;
const SIMPLE: Operator = { first: '', sep: ',', named: false, ifemp: '', allow: U };
const OPERATORS: ReadonlyMap<string, Operator> = new Map([
  ['+', { first: '', sep: ',', named: false, ifemp: '', allow: UR }],
  ['#', { first: '#', sep: ',', named: false, ifemp: '', allow: UR }],
  ['.', { first: '.', sep: '.', named: false, ifemp: '', allow: U }],
  ['/', { first: '/', sep: '/', named: false, ifemp: '', allow: U }],
  [';', { first: ';', sep: ';', named: true, ifemp: '', allow: U }],
  ['?', { first: '?', sep: '&', named: true, ifemp: '=', allow: U }],
  ['&', { first: '&', sep: '&', named: true, ifemp: '=', allow: U }],
]);
/** Operators RFC 6570 reserves for future use: a template using them is invalid. */
const RESERVED_OPERATORS = '=,!@|';
/**
 * `varname [ "*" / ":" max-length ]`, max-length 1 to 9999 as RFC 6570's
 * grammar says; linear: every repetition is deterministic.
 */
const VARSPEC =
  /^((?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*)(?:(\*)|:([1-9][0-9]{0,3}))?$/;

/** One variable of an expression: `name`, `name*` or `name:n`. */
export interface VarSpec {
  readonly name: string;
  readonly explode: boolean;
  /** The prefix length, 0 when none. */
  readonly prefix: number;
}
/** One `{...}` expression: its operator and variables. */
export interface Expression {
  readonly op: Operator;
  readonly vars: readonly VarSpec[];
}
type Part = string | Expression;

function parseExpression(body: string): Expression | undefined {
  const c = body.charAt(0);
  if (c === '' || RESERVED_OPERATORS.includes(c)) return undefined;
  const op = OPERATORS.get(c);
  const vars: VarSpec[] = [];
  for (const spec of (op === undefined ? body : body.slice(1)).split(',')) {
    const m = VARSPEC.exec(spec);
    if (m === null) return undefined;
    const prefix = m[3] === undefined ? 0 : Number(m[3]);
    vars.push({ name: m[1]!, explode: m[2] !== undefined, prefix });
  }
  return { op: op ?? SIMPLE, vars };
}

/** Index just past the literal run starting at `from`, or -1 if RFC 6570 forbids a character of it. */
function literalEnd(template: string, from: number): number {
  let i = from;
  while (i < template.length) {
    const cp = template.codePointAt(i)!;
    if (cp === 0x7b) break; // '{'
    if (cp === 0x25) {
      if (!/^%[0-9A-Fa-f]{2}/.test(template.slice(i, i + 3))) return -1;
      i += 3;
      continue;
    }
    if (cp < 0x80 ? LITERAL_ASCII[cp] !== 1 : !isUcsOrPrivate(cp)) return -1;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** RFC 6570 `ucschar / iprivate`; rejects lone surrogates. */
function isUcsOrPrivate(cp: number): boolean {
  if (cp < 0x10000) {
    return (
      (cp >= 0xa0 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfdcf) ||
      (cp >= 0xfdf0 && cp <= 0xffef)
    );
  }
  return (cp & 0xffff) <= 0xfffd && (cp < 0xe0000 || cp >= 0xe1000);
}

/**
 * The template's literal runs and expressions, or `undefined` when it is not
 * a valid RFC 6570 template.
 *
 * @throws AndonError `ANDON_INVALID_SELECTOR` past {@link MAX_TEMPLATE_EXPRESSIONS}
 *   or {@link MAX_TEMPLATE_VARIABLES}.
 */
export function parseTemplate(template: string): Part[] | undefined {
  const parts: Part[] = [];
  let expressions = 0;
  let variables = 0;
  let i = 0;
  while (i < template.length) {
    if (template.charCodeAt(i) === 0x7b) {
      const close = template.indexOf('}', i + 1);
      if (close < 0) return undefined;
      if (++expressions > MAX_TEMPLATE_EXPRESSIONS) {
        throw limitError('too many expressions', MAX_TEMPLATE_EXPRESSIONS, template);
      }
      const expression = parseExpression(template.slice(i + 1, close));
      if (expression === undefined) return undefined;
      variables += expression.vars.length;
      if (variables > MAX_TEMPLATE_VARIABLES) {
        throw limitError('too many variables', MAX_TEMPLATE_VARIABLES, template);
      }
      parts.push(expression);
      i = close + 1;
    } else {
      const end = literalEnd(template, i);
      if (end < 0) return undefined;
      parts.push(template.slice(i, end));
      i = end;
    }
  }
  return parts;
}
