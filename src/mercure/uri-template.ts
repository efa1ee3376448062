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
import { Automaton } from './uri-template/automaton.js';
import { Builder, MATCH } from './uri-template/builder.js';
import { expressionNode, literal, sequence } from './uri-template/language.js';
import {
  limitError,
  MAX_AUTOMATON_STATES,
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_VARIABLES,
} from './uri-template/limits.js';
import { parseTemplate } from './uri-template/parse.js';
import { backtrackSafe, hasPrefix, regexpSize, regexpSource } from './uri-template/regexp.js';

export {
  MAX_AUTOMATON_STATES,
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_VARIABLES,
};

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
  if (builder.kind.length > MAX_AUTOMATON_STATES) {
    throw limitError(
      `an automaton of ${builder.kind.length} states (too ambiguous to match quickly)`,
      MAX_AUTOMATON_STATES,
      template,
    );
  }
  const automaton = new Automaton(builder, start);
  return {
    template,
    engine: 'automaton',
    matches: (candidate) =>
      framed(candidate) && automaton.run(candidate, head.length, candidate.length - tail.length),
  };
}
