/**
 * RFC 6570 URI Templates (levels 1 to 4) compiled into matchers that answer
 * one question: could this string be an expansion of the template?
 *
 * Mercure topic selectors use this (draft-dunglas-mercure-07, "topic
 * selectors"). A string matches when some assignment of values to the
 * template's variables (each undefined, a string, a list or an associative
 * array) expands to exactly that string. Semantics, where RFC 6570 leaves
 * room or where we chose:
 *
 * - **Empty values match.** `https://example.com/books/{id}` matches
 *   `https://example.com/books/` (id = "" or undefined), as RFC 6570 expands
 *   it and as the reference hub (yosida95/uritemplate) matches it.
 * - **Percent-encoding is checked, never decoded.** A variable's text is made
 *   of unreserved characters (plus reserved ones for `+` and `#`) and
 *   `%HH` triplets; hex digits may be either case. A `%` that does not start
 *   a triplet never matches inside a variable. Literal text matches itself
 *   exactly and case-sensitively: `%2F` in a template does not match `/` or
 *   `%2f`, and non-ASCII literals are compared as written (RFC 6570 would
 *   percent-encode them on expansion; the reference hub does not, nor do we).
 * - **Names are checked** in `;`, `?` and `&` expressions: `{?topic}`
 *   matches `?topic=x`, not `?other=x` (the reference hub's regexp accepts any
 *   name). Exploded variables may hold associative arrays, whose keys are
 *   free: `{?q*}` matches `?a=1&b=2`.
 * - **Prefixes** `{var:n}` allow at most n characters, each an allowed
 *   character or one percent-encoded UTF-8 character (a lead triplet and its
 *   continuation triplets). Prefixed variables hold strings only (RFC 6570
 *   section 2.4.1).
 * - **Deliberately loose spots** (a superset of the exact answer, never a
 *   subset): `{;x}` also matches `;x=` (RFC 6570 is unclear for a list of one
 *   empty string), and prefix counting does not reject stray continuation
 *   triplets.
 *
 * A string that is not a valid template (unbalanced braces, bad variable
 * names, reserved operators, characters RFC 6570 forbids in literals)
 * compiles to `undefined`: only exact comparison applies to it.
 *
 * Cost. Templates are bounded ({@link MAX_TEMPLATE_LENGTH},
 * {@link MAX_TEMPLATE_EXPRESSIONS}, {@link MAX_TEMPLATE_VARIABLES}). A
 * template whose automaton is deterministic and unambiguous (one way to read
 * every prefix, as in `https://example.com/books/{id}` or `{?topic}`) runs as
 * a `RegExp`, which cannot backtrack more than a constant per character. Any
 * other template (`{a}{b}`, `{year}-{month}`, `{+path}/x`, prefixes) runs on
 * a Thompson automaton simulated state-set by state-set: time is linear in
 * the candidate's length times the automaton's size, whatever the input.
 */
import { AndonError } from '../errors.js';

/** Longest template accepted: the de-facto URL length limit (browsers, proxies), and the bound on automaton size. */
export const MAX_TEMPLATE_LENGTH = 2_048;
/** Most `{...}` expressions in one template; real selectors hold a handful, and each one adds states to every match. */
export const MAX_TEMPLATE_EXPRESSIONS = 32;
/** Most variables in one template; each one adds states to every match, and a named expression's alternatives grow with their square. */
export const MAX_TEMPLATE_VARIABLES = 64;
/** Past this, a deterministic template still runs on the automaton: a huge `RegExp` costs more to compile than it saves. */
const MAX_REGEXP_SOURCE = 16_384;

/** How a compiled template matches: plain comparison, a safe `RegExp`, or the linear-time automaton. */
export type UriTemplateEngine = 'exact' | 'regexp' | 'automaton';

/** A compiled template. */
export interface UriTemplateMatcher {
  /** The template, as given. */
  readonly template: string;
  /** Which engine runs {@link UriTemplateMatcher.matches}; see the module documentation. */
  readonly engine: UriTemplateEngine;
  /** True when `candidate` is a possible expansion of the template. */
  matches(candidate: string): boolean;
}

/** Options of {@link compileUriTemplate}. */
export interface CompileUriTemplateOptions {
  /**
   * `'auto'` (default) picks the fastest safe engine; `'automaton'` forces
   * the automaton, for differential tests and benchmarks.
   */
  readonly engine?: 'auto' | 'automaton';
}

// Character classes, as bits of one ASCII table.
const UNRESERVED = 1;
const RESERVED = 2;
const HEX = 4;
/** Hex digit opening a triplet that starts a UTF-8 character (bytes 00-7F, C0-FF). */
const HEX_LEAD = 8;
/** Hex digit opening a UTF-8 continuation triplet (bytes 80-BF). */
const HEX_CONT = 16;

const CHARS = new Uint8Array(128);
function mark(chars: string, bit: number): void {
  for (const c of chars) CHARS[c.charCodeAt(0)] = (CHARS[c.charCodeAt(0)] ?? 0) | bit;
}
const DIGITS = '0123456789';
const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
mark(`${ALPHA}${DIGITS}-._~`, UNRESERVED);
mark(":/?#[]@!$&'()*+,;=", RESERVED);
mark(`${DIGITS}ABCDEFabcdef`, HEX);
mark('01234567CDEFcdef', HEX_LEAD);
mark('89ABab', HEX_CONT);

/** The same classes in `RegExp` syntax, for the regexp engine. */
const CLASS_SOURCE: Readonly<Record<number, string>> = {
  [UNRESERVED]: '[A-Za-z0-9\\-._~]',
  [UNRESERVED | RESERVED]: "[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=]",
};
const HEX_SOURCE = '[0-9A-Fa-f]';

/** ASCII characters RFC 6570 allows in literals (`%` only as a triplet, checked apart). */
const LITERAL_ASCII = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) LITERAL_ASCII[c] = 1;
for (const c of ' "\'%<>\\^`{|}') LITERAL_ASCII[c.charCodeAt(0)] = 0;

function admits(allow: number, char: string): boolean {
  const c = char.charCodeAt(0);
  return c < 128 && (CHARS[c]! & allow) !== 0;
}

// ---------------------------------------------------------------- parsing

/** An RFC 6570 operator's expansion rules (RFC 6570 appendix A). */
interface Operator {
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

interface VarSpec {
  readonly name: string;
  readonly explode: boolean;
  /** The prefix length, 0 when none. */
  readonly prefix: number;
}
interface Expression {
  readonly op: Operator;
  readonly vars: readonly VarSpec[];
}
type Part = string | Expression;

function limitError(what: string, limit: number, template: string): AndonError {
  return new AndonError(
    'ANDON_INVALID_SELECTOR',
    `Topic selector ${JSON.stringify(template.slice(0, 80))}${template.length > 80 ? '…' : ''} has ${what}: the limit is ${limit}. Use a shorter or simpler selector, or several selectors.`,
  );
}

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

function parseTemplate(template: string): Part[] | undefined {
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

// ----------------------------------------------- the language, as a tree

/** A regular language over the candidate's UTF-16 code units. */
type Node =
  | { readonly kind: 'literal'; readonly text: string }
  /** Any run of allowed characters and `%HH` triplets (at least one when `nonEmpty`). */
  | { readonly kind: 'value'; readonly allow: number; readonly nonEmpty: boolean }
  /** Like `value`, at most `max` characters long (see the module documentation). */
  | { readonly kind: 'prefix'; readonly allow: number; readonly max: number }
  | { readonly kind: 'sequence'; readonly items: readonly Node[] }
  | { readonly kind: 'choice'; readonly first: Node; readonly second: Node }
  | { readonly kind: 'optional'; readonly item: Node }
  | { readonly kind: 'repeat'; readonly item: Node };

const EMPTY: Node = { kind: 'sequence', items: [] };

function nullable(node: Node): boolean {
  switch (node.kind) {
    case 'literal':
      return false;
    case 'value':
      return !node.nonEmpty;
    case 'sequence':
      return node.items.every(nullable);
    case 'choice':
      return nullable(node.first) || nullable(node.second);
    default:
      return true;
  }
}

function literal(text: string): Node {
  return text === '' ? EMPTY : { kind: 'literal', text };
}
function value(allow: number, nonEmpty = false): Node {
  return { kind: 'value', allow, nonEmpty };
}
/** Concatenation. Nested sequences are kept, not flattened: shared subtrees must keep their identity. */
function sequence(...nodes: Node[]): Node {
  const items: Node[] = [];
  for (const node of nodes) {
    const last = items.at(-1);
    if (node === EMPTY) continue;
    if (node.kind === 'literal' && last?.kind === 'literal') {
      items[items.length - 1] = literal(last.text + node.text);
    } else items.push(node);
  }
  return items.length === 1 ? items[0]! : items.length === 0 ? EMPTY : { kind: 'sequence', items };
}
/** `item` or nothing; never wraps a nullable item, which would read the empty string two ways. */
function optional(item: Node): Node {
  return nullable(item) ? item : { kind: 'optional', item };
}
function choice(first: Node, second: Node): Node {
  if (second === EMPTY) return optional(first);
  return { kind: 'choice', first, second };
}
function repeat(item: Node): Node {
  return { kind: 'repeat', item };
}
/** `item (sep item)*`, or `item` alone when it already absorbs the separator. */
function joined(item: Node, sep: string, allow: number): Node {
  if (item.kind === 'value' && !item.nonEmpty && admits(allow, sep)) return item;
  return sequence(item, repeat(sequence(literal(sep), item)));
}

/** Every text one variable can add to an expansion, when defined (RFC 6570 appendix A). */
function variableNode(op: Operator, spec: VarSpec): Node {
  const v = value(op.allow);
  if (spec.explode) {
    // List items or associative-array pairs; a pair's key is free text.
    const pair = admits(op.allow, '=') ? v : sequence(v, optional(sequence(literal('='), v)));
    const item = op.named && op.ifemp === '=' ? sequence(v, literal('='), v) : pair;
    return joined(item, op.sep, op.allow);
  }
  // A string, or a list or associative array joined with commas.
  const text: Node =
    spec.prefix > 0
      ? { kind: 'prefix', allow: op.allow, max: spec.prefix }
      : joined(v, ',', op.allow);
  if (!op.named) return text;
  if (op.ifemp === '=') return sequence(literal(`${spec.name}=`), text);
  return sequence(literal(spec.name), optional(sequence(literal('='), text)));
}

/**
 * The defined variables' texts in order, joined by `sep`, after `first`;
 * nothing at all when none is defined. `more[i]` reads what follows once
 * something was written; `rest[i]` what may start at variable i.
 */
function expressionNode({ op, vars }: Expression): Node {
  const items = vars.map((spec) => variableNode(op, spec));
  let more: Node = EMPTY;
  let rest: Node = items.at(-1)!;
  for (let i = items.length - 2; i >= 0; i--) {
    more = sequence(optional(sequence(literal(op.sep), items[i + 1]!)), more);
    rest = choice(sequence(items[i]!, more), rest);
  }
  return optional(sequence(literal(op.first), rest));
}

// ------------------------------------------------------ regexp engine

const REGEXP_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

function regexpSize(node: Node, memo: Map<Node, number>): number {
  let size = memo.get(node);
  if (size !== undefined) return size;
  switch (node.kind) {
    case 'literal':
      size = node.text.length * 2;
      break;
    case 'value':
    case 'prefix':
      size = 64;
      break;
    case 'sequence':
      size = node.items.reduce((sum, item) => sum + regexpSize(item, memo), 0);
      break;
    case 'choice':
      size = 6 + regexpSize(node.first, memo) + regexpSize(node.second, memo);
      break;
    default:
      size = 5 + regexpSize(node.item, memo);
  }
  memo.set(node, size);
  return size;
}

function regexpSource(node: Node): string {
  switch (node.kind) {
    case 'literal':
      return node.text.replace(REGEXP_SPECIAL, '\\$&');
    case 'value':
      return `(?:${CLASS_SOURCE[node.allow]}|%${HEX_SOURCE}${HEX_SOURCE})${node.nonEmpty ? '+' : '*'}`;
    case 'prefix':
      throw new Error('unreachable: prefixes run on the automaton');
    case 'sequence':
      return node.items.map(regexpSource).join('');
    case 'choice':
      return `(?:${regexpSource(node.first)}|${regexpSource(node.second)})`;
    case 'optional':
      return `(?:${regexpSource(node.item)})?`;
    case 'repeat':
      return `(?:${regexpSource(node.item)})*`;
  }
}

function hasPrefix(node: Node): boolean {
  switch (node.kind) {
    case 'prefix':
      return true;
    case 'sequence':
      return node.items.some(hasPrefix);
    case 'choice':
      return hasPrefix(node.first) || hasPrefix(node.second);
    case 'optional':
    case 'repeat':
      return hasPrefix(node.item);
    default:
      return false;
  }
}

// ---------------------------------------------------- automaton engine

// State kinds. Consuming states read one code unit; the others are ε-moves.
const LITERAL = 0;
const CLASS = 1;
const SPLIT = 2;
/** ε-move that zeroes the prefix counter (entering a prefixed variable). */
const RESET = 3;
const MATCH = 4;
// What a consuming state does to the prefix counter.
const COUNT_CLEAR = 0;
const COUNT_KEEP = 1;
const COUNT_ADD = 2;

/** A Thompson automaton under construction, built backwards from its continuation. */
class Builder {
  readonly kind: number[] = [];
  readonly arg: number[] = [];
  readonly count: number[] = [];
  readonly limit: number[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  readonly #memo = new Map<Node, Map<number, number>>();

  add(kind: number, arg: number, out1: number, out2 = -1, count = COUNT_CLEAR, limit = 0): number {
    this.kind.push(kind);
    this.arg.push(arg);
    this.out1.push(out1);
    this.out2.push(out2);
    this.count.push(count);
    this.limit.push(limit);
    return this.kind.length - 1;
  }

  /** Entry state of `node` followed by state `next`; shared subtrees are built once per continuation. */
  build(node: Node, next: number): number {
    let byNext = this.#memo.get(node);
    const known = byNext?.get(next);
    if (known !== undefined) return known;
    const entry = this.#build(node, next);
    if (byNext === undefined) {
      byNext = new Map();
      this.#memo.set(node, byNext);
    }
    byNext.set(next, entry);
    return entry;
  }

  #build(node: Node, next: number): number {
    switch (node.kind) {
      case 'literal': {
        let entry = next;
        for (let i = node.text.length - 1; i >= 0; i--) {
          entry = this.add(LITERAL, node.text.charCodeAt(i), entry);
        }
        return entry;
      }
      case 'value': {
        const loop = this.add(SPLIT, 0, -1, next);
        const h1 = this.add(CLASS, HEX, this.add(CLASS, HEX, loop));
        const unit = this.add(
          SPLIT,
          0,
          this.add(CLASS, node.allow, loop),
          this.add(LITERAL, 0x25, h1),
        );
        this.out1[loop] = unit;
        return node.nonEmpty ? unit : loop;
      }
      case 'prefix': {
        const loop = this.add(SPLIT, 0, -1, next);
        const h2 = this.add(CLASS, HEX, loop, -1, COUNT_KEEP);
        const lead = this.add(CLASS, HEX_LEAD, h2, -1, COUNT_ADD, node.max);
        const cont = this.add(CLASS, HEX_CONT, h2, -1, COUNT_KEEP);
        const pct = this.add(LITERAL, 0x25, this.add(SPLIT, 0, lead, cont), -1, COUNT_KEEP);
        const char = this.add(CLASS, node.allow, loop, -1, COUNT_ADD, node.max);
        this.out1[loop] = this.add(SPLIT, 0, char, pct);
        return this.add(RESET, 0, loop);
      }
      case 'sequence': {
        let entry = next;
        for (let i = node.items.length - 1; i >= 0; i--) entry = this.build(node.items[i]!, entry);
        return entry;
      }
      case 'choice':
        return this.add(SPLIT, 0, this.build(node.first, next), this.build(node.second, next));
      case 'optional':
        return this.add(SPLIT, 0, this.build(node.item, next), next);
      case 'repeat': {
        const loop = this.add(SPLIT, 0, -1, next);
        this.out1[loop] = this.build(node.item, loop);
        return loop;
      }
    }
  }
}

function overlaps(kindA: number, argA: number, kindB: number, argB: number): boolean {
  if (kindA === LITERAL && kindB === LITERAL) return argA === argB;
  if (kindA === LITERAL) return argA < 128 && (CHARS[argA]! & argB) !== 0;
  if (kindB === LITERAL) return argB < 128 && (CHARS[argB]! & argA) !== 0;
  for (let c = 0; c < 128; c++)
    if ((CHARS[c]! & argA) !== 0 && (CHARS[c]! & argB) !== 0) return true;
  return false;
}

/** Most consuming states one ε-closure may hold and still count as deterministic. */
const MAX_DETERMINISTIC_FANOUT = 64;

/**
 * True when, from every point, each next code unit leads along exactly one
 * ε-path to one consuming state. A backtracking `RegExp` of the same tree
 * then abandons every wrong branch after one character, so it runs in
 * linear time.
 */
function backtrackSafe(b: Builder, start: number): boolean {
  const entries = new Set([start]);
  for (let s = 0; s < b.kind.length; s++) if (b.kind[s]! <= CLASS) entries.add(b.out1[s]!);
  const seen = new Int32Array(b.kind.length).fill(-1);
  let round = 0;
  for (const entry of entries) {
    round++;
    const reached: number[] = [];
    const stack = [entry];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen[s] === round) return false; // a second ε-path: two ways to read the same text
      seen[s] = round;
      const kind = b.kind[s]!;
      if (kind === SPLIT) stack.push(b.out1[s]!, b.out2[s]!);
      else if (kind === RESET) stack.push(b.out1[s]!);
      else if (kind !== MATCH) reached.push(s);
    }
    if (reached.length > MAX_DETERMINISTIC_FANOUT) return false;
    for (let i = 0; i < reached.length; i++) {
      for (let j = i + 1; j < reached.length; j++) {
        const x = reached[i]!;
        const y = reached[j]!;
        if (overlaps(b.kind[x]!, b.arg[x]!, b.kind[y]!, b.arg[y]!)) return false;
      }
    }
  }
  return true;
}

/** A built automaton and the scratch space of its simulation (matching is synchronous, so one set suffices). */
class Automaton {
  readonly #kind: Uint8Array;
  readonly #arg: Int32Array;
  readonly #count: Uint8Array;
  readonly #limit: Int32Array;
  readonly #out1: Int32Array;
  readonly #out2: Int32Array;
  readonly #start: number;
  // Generation stamps and best prefix count per state, for the sparse-set ε-closure.
  readonly #seen: Uint32Array;
  readonly #best: Int32Array;
  readonly #slot: Int32Array;
  #stamp = 0;
  #states: Int32Array;
  #counts: Int32Array;
  #nextStates: Int32Array;
  #nextCounts: Int32Array;
  readonly #stack: number[] = [];

  constructor(b: Builder, start: number) {
    this.#kind = Uint8Array.from(b.kind);
    this.#arg = Int32Array.from(b.arg);
    this.#count = Uint8Array.from(b.count);
    this.#limit = Int32Array.from(b.limit);
    this.#out1 = Int32Array.from(b.out1);
    this.#out2 = Int32Array.from(b.out2);
    this.#start = start;
    const n = b.kind.length;
    this.#seen = new Uint32Array(n);
    this.#best = new Int32Array(n);
    this.#slot = new Int32Array(n);
    this.#states = new Int32Array(n);
    this.#counts = new Int32Array(n);
    this.#nextStates = new Int32Array(n);
    this.#nextCounts = new Int32Array(n);
  }

  #newGeneration(): void {
    if (this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 0;
    }
    this.#stamp++;
  }

  /** Adds the ε-closure of `entry` to the next state list; returns its new length. */
  #close(
    entry: number,
    count: number,
    states: Int32Array,
    counts: Int32Array,
    length: number,
  ): number {
    const stack = this.#stack;
    const stamp = this.#stamp;
    stack.push(entry, count);
    while (stack.length > 0) {
      const c = stack.pop()!;
      const s = stack.pop()!;
      const fresh = this.#seen[s] !== stamp;
      // A lower prefix count dominates: it leaves more room for what follows.
      if (!fresh && this.#best[s]! <= c) continue;
      this.#seen[s] = stamp;
      this.#best[s] = c;
      const kind = this.#kind[s]!;
      if (kind === SPLIT) stack.push(this.#out2[s]!, c, this.#out1[s]!, c);
      else if (kind === RESET) stack.push(this.#out1[s]!, 0);
      else {
        if (fresh) {
          this.#slot[s] = length;
          states[length++] = s;
        }
        counts[this.#slot[s]!] = c;
      }
    }
    return length;
  }

  /** True when `text.slice(from, to)` is in the automaton's language. */
  run(text: string, from: number, to: number): boolean {
    const kinds = this.#kind;
    const args = this.#arg;
    const out1 = this.#out1;
    const seen = this.#seen;
    const best = this.#best;
    const slot = this.#slot;
    this.#newGeneration();
    let length = this.#close(this.#start, 0, this.#states, this.#counts, 0);
    for (let i = from; i < to; i++) {
      const ch = text.charCodeAt(i);
      const bits = ch < 128 ? CHARS[ch]! : 0;
      const states = this.#states;
      const counts = this.#counts;
      const nextStates = this.#nextStates;
      const nextCounts = this.#nextCounts;
      this.#newGeneration();
      const stamp = this.#stamp;
      let next = 0;
      for (let j = 0; j < length; j++) {
        const s = states[j]!;
        const kind = kinds[s]!;
        if (kind === LITERAL) {
          if (args[s] !== ch) continue;
        } else if (kind === CLASS) {
          if ((bits & args[s]!) === 0) continue;
        } else continue; // MATCH reads nothing
        const mode = this.#count[s]!;
        let c = 0;
        if (mode === COUNT_KEEP) c = counts[j]!;
        else if (mode === COUNT_ADD) {
          c = counts[j]! + 1;
          if (c > this.#limit[s]!) continue;
        }
        const target = out1[s]!;
        if (kinds[target]! > CLASS) {
          next = this.#close(target, c, nextStates, nextCounts, next);
        } else if (seen[target] !== stamp) {
          // Fast path: the successor reads a character itself, no ε-closure to walk.
          seen[target] = stamp;
          best[target] = c;
          slot[target] = next;
          nextStates[next] = target;
          nextCounts[next++] = c;
        } else if (best[target]! > c) {
          best[target] = c;
          nextCounts[slot[target]!] = c;
        }
      }
      if (next === 0) return false;
      length = next;
      this.#states = nextStates;
      this.#counts = nextCounts;
      this.#nextStates = states;
      this.#nextCounts = counts;
    }
    for (let j = 0; j < length; j++) if (kinds[this.#states[j]!] === MATCH) return true;
    return false;
  }
}

// ------------------------------------------------------------- compile

/**
 * Compiles an RFC 6570 template (levels 1 to 4: operators none, `+`, `#`,
 * `.`, `/`, `;`, `?`, `&`; modifiers `*` and `:n`; several variables per
 * expression) into a matcher of its possible expansions, with the semantics
 * described in this module's documentation.
 *
 * @returns `undefined` when `template` is not a valid URI Template.
 * @throws AndonError `ANDON_INVALID_SELECTOR` past {@link MAX_TEMPLATE_LENGTH},
 *   {@link MAX_TEMPLATE_EXPRESSIONS} or {@link MAX_TEMPLATE_VARIABLES}; the
 *   message names the limit and its value.
 */
export function compileUriTemplate(
  template: string,
  options: CompileUriTemplateOptions = {},
): UriTemplateMatcher | undefined {
  if (template.length > MAX_TEMPLATE_LENGTH) {
    throw limitError(`${template.length} characters`, MAX_TEMPLATE_LENGTH, template);
  }
  const parts = parseTemplate(template);
  if (parts === undefined) return undefined;
  if (parts.every((part) => typeof part === 'string')) {
    return { template, engine: 'exact', matches: (candidate) => candidate === template };
  }
  // Leading and trailing literals are checked with startsWith/endsWith; the
  // engines see only what lies between, which keeps them small.
  const head = typeof parts[0] === 'string' ? (parts.shift() as string) : '';
  const tail = typeof parts.at(-1) === 'string' ? (parts.pop() as string) : '';
  const middle = sequence(
    ...parts.map((part) => (typeof part === 'string' ? literal(part) : expressionNode(part))),
  );
  const fixed = head.length + tail.length;
  const framed = (candidate: string): boolean =>
    candidate.length >= fixed && candidate.startsWith(head) && candidate.endsWith(tail);

  const builder = new Builder();
  const start = builder.build(middle, builder.add(MATCH, 0, -1));
  if (
    options.engine !== 'automaton' &&
    !hasPrefix(middle) &&
    regexpSize(middle, new Map()) <= MAX_REGEXP_SOURCE &&
    backtrackSafe(builder, start)
  ) {
    const re = new RegExp(`^${regexpSource(middle)}$`);
    return {
      template,
      engine: 'regexp',
      matches: (candidate) =>
        framed(candidate) && re.test(candidate.slice(head.length, candidate.length - tail.length)),
    };
  }
  const automaton = new Automaton(builder, start);
  return {
    template,
    engine: 'automaton',
    matches: (candidate) =>
      framed(candidate) && automaton.run(candidate, head.length, candidate.length - tail.length),
  };
}
