/**
 * URI Template matching: golden cases per operator (RFC 6570 section 3.2
 * examples), the Mercure examples, invalid templates, limits, a property
 * test against a reference expander, and hostile inputs timed.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import {
  compileUriTemplate,
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_VARIABLES,
  type UriTemplateMatcher,
} from './uri-template.js';

/** Both engines for `template`: the one picked automatically, and the automaton forced. */
function compileBoth(template: string): [UriTemplateMatcher, UriTemplateMatcher] {
  const auto = compileUriTemplate(template);
  const automaton = compileUriTemplate(template, { engine: 'automaton' });
  if (auto === undefined || automaton === undefined) throw new Error(`not a template: ${template}`);
  return [auto, automaton];
}

function expectMatch(template: string, candidate: string, expected: boolean): void {
  for (const matcher of compileBoth(template)) {
    expect(matcher.matches(candidate), `${matcher.engine}: ${template} ~ ${candidate}`).toBe(
      expected,
    );
  }
}

describe('Mercure examples', () => {
  it.each([
    ['https://example.com/books/{id}', 'https://example.com/books/1', true],
    ['https://example.com/books/{id}', 'https://example.com/books/1/2', false],
    // Empty values expand to nothing (RFC 6570), and the reference hub matches them.
    ['https://example.com/books/{id}', 'https://example.com/books/', true],
    ['https://example.com/books/{id}', 'https://example.com/book/1', false],
    [
      'https://example.com/users/foo/{?topic}',
      'https://example.com/users/foo/?topic=https%3A%2F%2Fexample.com%2Fbooks%2F1',
      true,
    ],
    ['https://example.com/users/foo/{?topic}', 'https://example.com/users/foo/', true],
    ['https://example.com/users/foo/{?topic}', 'https://example.com/users/foo/?other=x', false],
    [
      'https://example.com/users/foo/{?topic}',
      'https://example.com/users/foo/?topic=https://example.com/books/1',
      false,
    ],
    ['{+path}/x', 'a/b/c/x', true],
    ['{+path}/x', 'a/b/c/y', false],
    [
      '/.well-known/mercure/subscriptions/{topic}/{subscriber}',
      '/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2F%7Bselector%7D/urn%3Auuid%3Abb3de268-05b0-4c65-b44e-8f9acefc29d6',
      true,
    ],
    [
      '/.well-known/mercure/subscriptions/{topic}/{subscriber}',
      '/.well-known/mercure/subscriptions/https://example.com/x/urn%3Auuid%3A1',
      false,
    ],
  ])('%s ~ %s: %s', (template, candidate, expected) => {
    expectMatch(template, candidate, expected);
  });
});

describe('RFC 6570 section 3.2 expansions match their templates', () => {
  // var="value", hello="Hello World!", path="/foo/bar", empty="", x=1024,
  // y=768, who="fred", list=["red","green","blue"],
  // keys={semi:";", dot:".", comma:","}, undef undefined.
  it.each([
    // Simple
    ['{var}', 'value'],
    ['{hello}', 'Hello%20World%21'],
    ['{x,y}', '1024,768'],
    ['{x,hello,y}', '1024,Hello%20World%21,768'],
    ['?{x,empty}', '?1024,'],
    ['?{x,undef}', '?1024'],
    ['{var:3}', 'val'],
    ['{list}', 'red,green,blue'],
    ['{list*}', 'red,green,blue'],
    ['{keys}', 'semi,%3B,dot,.,comma,%2C'],
    ['{keys*}', 'semi=%3B,dot=.,comma=%2C'],
    // Reserved
    ['{+var}', 'value'],
    ['{+hello}', 'Hello%20World!'],
    ['{+path}/here', '/foo/bar/here'],
    ['here?ref={+path}', 'here?ref=/foo/bar'],
    ['{+x,hello,y}', '1024,Hello%20World!,768'],
    ['{+path:6}/here', '/foo/b/here'],
    ['{+keys*}', 'semi=;,dot=.,comma=,'],
    // Fragment
    ['{#var}', '#value'],
    ['{#hello}', '#Hello%20World!'],
    ['{#path:6}/here', '#/foo/b/here'],
    ['{#list*}', '#red,green,blue'],
    ['{#keys}', '#semi,;,dot,.,comma,,'],
    // Label
    ['X{.var}', 'X.value'],
    ['X{.x,y}', 'X.1024.768'],
    ['X{.var:3}', 'X.val'],
    ['X{.list}', 'X.red,green,blue'],
    ['X{.list*}', 'X.red.green.blue'],
    ['X{.keys*}', 'X.semi=%3B.dot=..comma=%2C'],
    ['{.who,who}', '.fred.fred'],
    // Path
    ['{/var}', '/value'],
    ['{/var,x}/here', '/value/1024/here'],
    ['{/var:1,var}', '/v/value'],
    ['{/list*}', '/red/green/blue'],
    ['{/list*,path:4}', '/red/green/blue/%2Ffoo'],
    ['{/keys*}', '/semi=%3B/dot=./comma=%2C'],
    // Path-style parameters
    ['{;x,y}', ';x=1024;y=768'],
    ['{;x,y,empty}', ';x=1024;y=768;empty'],
    ['{;hello:5}', ';hello=Hello'],
    ['{;list}', ';list=red,green,blue'],
    ['{;list*}', ';list=red;list=green;list=blue'],
    ['{;keys*}', ';semi=%3B;dot=.;comma=%2C'],
    // Query
    ['{?x,y}', '?x=1024&y=768'],
    ['{?x,y,empty}', '?x=1024&y=768&empty='],
    ['{?var:3}', '?var=val'],
    ['{?list}', '?list=red,green,blue'],
    ['{?list*}', '?list=red&list=green&list=blue'],
    ['{?keys}', '?keys=semi,%3B,dot,.,comma,%2C'],
    ['{?keys*}', '?semi=%3B&dot=.&comma=%2C'],
    // Query continuation
    ['?fixed=yes{&x}', '?fixed=yes&x=1024'],
    ['{&x,y,empty}', '&x=1024&y=768&empty='],
    ['{&list*}', '&list=red&list=green&list=blue'],
    ['{&keys*}', '&semi=%3B&dot=.&comma=%2C'],
  ])('%s ~ %s', (template, candidate) => {
    expectMatch(template, candidate, true);
  });
});

describe('strings that are not expansions', () => {
  it.each([
    // Simple: unreserved and triplets only.
    ['{var}', 'a/b'],
    ['{var}', 'a b'],
    ['{var}', 'a%2'],
    ['{var}', 'a%zz'],
    ['{var}', 'é'],
    ['{var}', 'a=b'],
    // Reserved: reserved characters pass, others do not.
    ['{+var}', 'a b'],
    ['{+var}', 'a%'],
    ['{+var}', 'a"b'],
    ['{+var}', 'a{b}'],
    // Operators' leading characters are required once something is defined.
    ['{#var}', 'value'],
    ['{.var}', 'value'],
    ['{/var}', 'value'],
    ['{/var}', '/a/b'],
    ['{;x}', 'x=1'],
    ['{?x}', 'x=1'],
    ['{&x}', '?x=1'],
    // Names are checked, in order.
    ['{;x}', ';y=1'],
    ['{;x}', ';xx=1'],
    ['{?x}', '?x'],
    ['{?x}', '?x=1&y=2'],
    ['{?x,y}', '?y=2&x=1'],
    ['{?x,y}', '?x=1?y=2'],
    ['{&x}', '&y=1'],
    // Prefixes count characters; a percent-encoded character is one.
    ['{var:3}', 'valu'],
    ['{var:1}', '%C3%A9a'],
    ['{/var:1,var}', '/va/value'],
    // Literals are exact and case-sensitive, triplets included.
    ['%2F{var}', '%2fx'],
    ['%2F{var}', '/x'],
    ['A{var}', 'ax'],
  ])('%s !~ %s', (template, candidate) => {
    expectMatch(template, candidate, false);
  });

  it('accepts hex digits of either case in variables', () => {
    expectMatch('{var}', '%c3%a9', true);
    expectMatch('{var:1}', '%c3%a9', true);
  });

  it('lets exploded named variables carry any key (associative arrays)', () => {
    expectMatch('{?q*}', '?a=1&b=2', true);
    expectMatch('{;q*}', ';a;b=2', true);
  });
});

describe('what is not a template', () => {
  it.each([
    '{',
    '}',
    '{var',
    'var}',
    '{}',
    '{/id*',
    '/id*}',
    '{/?id}',
    '{var:prefix}',
    '{hello:2*}',
    '{??hello}',
    '{!hello}',
    '{with space}',
    '{ leading_space}',
    '{trailing_space }',
    '{=path}',
    '{$var}',
    '{|var*}',
    '{*keys?}',
    '{?empty=default,var}',
    '{var}{-prefix|/-/|var}',
    '?q={searchTerms}&c={example:color?}',
    'x{?empty|foo=none}',
    '/h{#hello+}',
    '/h#{hello+}',
    '?{-join|&|var,list}',
    '/people/{~thing}',
    '/{default-graph-uri}',
    '/sparql{?query){&default-graph-uri*}',
    '/resolution{?x, y}',
    '{var:0}',
    '{var:10000}',
    '{var:01}',
    '{.a}{b.}',
    '{a..b}',
    '{a,}',
    '{%zz}',
    'a b{var}',
    "it's/{var}",
    '50%/{var}',
    'a\u0000{var}',
    'lone\uD800{var}',
  ])('%j', (template) => {
    expect(compileUriTemplate(template)).toBeUndefined();
  });

  it('accepts dotted and percent-encoded names and Unicode literals', () => {
    expect(compileUriTemplate('{a.b,%41c}')).toBeDefined();
    expectMatch('https://exemple.fr/café/{x}/😀', 'https://exemple.fr/café/1/😀', true);
  });

  it('compiles a template without expressions to an exact comparison', () => {
    const matcher = compileUriTemplate('https://example.com/a%2Fb')!;
    expect(matcher.engine).toBe('exact');
    expect(matcher.matches('https://example.com/a%2Fb')).toBe(true);
    expect(matcher.matches('https://example.com/a%2fb')).toBe(false);
  });
});

describe('engines', () => {
  it.each([
    ['https://example.com/books/{id}', 'regexp'],
    ['https://example.com/users/foo/{?topic}', 'regexp'],
    ['{+path}/x', 'regexp'],
    ['/.well-known/mercure/subscriptions/{topic}/{subscriber}', 'regexp'],
    ['https://example.com/{id}.json', 'regexp'],
    ['{?x,y}', 'regexp'],
    // Two ways to read some strings: the automaton runs them.
    ['{a}{b}', 'automaton'],
    ['{year}-{month}', 'automaton'],
    ['{+a}/{+b}', 'automaton'],
    ['{a,b}', 'automaton'],
    ['{?page,per_page}', 'automaton'],
    ['{var:3}', 'automaton'],
  ])('%s runs on %s', (template, engine) => {
    expect(compileUriTemplate(template)?.engine).toBe(engine);
  });
});

describe('limits', () => {
  function refusal(template: string): string {
    try {
      compileUriTemplate(template);
    } catch (error) {
      expect(isAndonError(error, 'ANDON_INVALID_SELECTOR')).toBe(true);
      expect((error as { status: number }).status).toBe(400);
      return (error as Error).message;
    }
    throw new Error('not refused');
  }

  it(`refuses templates longer than ${MAX_TEMPLATE_LENGTH} characters`, () => {
    const longest = `{x}${'a'.repeat(MAX_TEMPLATE_LENGTH - 3)}`;
    expect(compileUriTemplate(longest)?.matches(`1${'a'.repeat(MAX_TEMPLATE_LENGTH - 3)}`)).toBe(
      true,
    );
    expect(refusal(`${longest}a`)).toMatch(/2049 characters: the limit is 2048/);
    // Even when the string is no template at all: its length alone is refused.
    expect(refusal('}'.repeat(MAX_TEMPLATE_LENGTH + 1))).toMatch(/limit is 2048/);
  });

  it(`refuses more than ${MAX_TEMPLATE_EXPRESSIONS} expressions`, () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `{v${i}}`).join('/');
    expect(compileUriTemplate(names(MAX_TEMPLATE_EXPRESSIONS))).toBeDefined();
    expect(refusal(names(MAX_TEMPLATE_EXPRESSIONS + 1))).toMatch(
      /too many expressions: the limit is 32/,
    );
  });

  it(`refuses more than ${MAX_TEMPLATE_VARIABLES} variables`, () => {
    const list = (n: number) => `{?${Array.from({ length: n }, (_, i) => `v${i}`).join(',')}}`;
    // At the limit the variable count passes (the template may still be too ambiguous to accept).
    expect(() => compileUriTemplate(list(MAX_TEMPLATE_VARIABLES))).not.toThrow(
      /too many variables/,
    );
    expect(refusal(list(MAX_TEMPLATE_VARIABLES + 1))).toMatch(
      /too many variables: the limit is 64/,
    );
  });
});

// ----------------------------------------------------- property tests

/** A value RFC 6570 can expand: undefined, a string, a list or an associative array. */
type Value = undefined | string | string[] | [string, string][];
interface Spec {
  readonly name: string;
  readonly explode: boolean;
  readonly prefix: number;
}
interface Expr {
  readonly op: string;
  readonly specs: readonly Spec[];
}
type TemplatePart = string | Expr;

/** RFC 6570 appendix A's table. */
const RULES: Record<
  string,
  { first: string; sep: string; named: boolean; ifemp: string; reserved: boolean }
> = {
  '': { first: '', sep: ',', named: false, ifemp: '', reserved: false },
  '+': { first: '', sep: ',', named: false, ifemp: '', reserved: true },
  '#': { first: '#', sep: ',', named: false, ifemp: '', reserved: true },
  '.': { first: '.', sep: '.', named: false, ifemp: '', reserved: false },
  '/': { first: '/', sep: '/', named: false, ifemp: '', reserved: false },
  ';': { first: ';', sep: ';', named: true, ifemp: '', reserved: false },
  '?': { first: '?', sep: '&', named: true, ifemp: '=', reserved: false },
  '&': { first: '&', sep: '&', named: true, ifemp: '=', reserved: false },
};

/** Reference encoding: RFC 6570 section 3.2.1. */
function encode(text: string, reserved: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const char = String.fromCodePoint(text.codePointAt(i)!);
    if (/[A-Za-z0-9\-._~]/.test(char) || (reserved && /[:/?#[\]@!$&'()*+,;=]/.test(char))) {
      out += char;
    } else if (reserved && /^%[0-9A-Fa-f]{2}/.test(text.slice(i, i + 3))) {
      out += text.slice(i, i + 3);
      i += 3;
      continue;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
    i += char.length;
  }
  return out;
}

/** Reference expansion: RFC 6570 appendix A, written independently of the matcher. */
function expand(parts: readonly TemplatePart[], values: ReadonlyMap<string, Value>): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const rule = RULES[part.op]!;
    const enc = (s: string) => encode(s, rule.reserved);
    const items: string[] = [];
    for (const spec of part.specs) {
      const value = values.get(spec.name);
      if (value === undefined || value.length === 0) continue;
      if (typeof value === 'string') {
        const text = spec.prefix > 0 ? Array.from(value).slice(0, spec.prefix).join('') : value;
        items.push(
          rule.named ? `${spec.name}${text === '' ? rule.ifemp : `=${enc(text)}`}` : enc(text),
        );
      } else if (typeof value[0] === 'string') {
        const list = value as string[];
        if (!spec.explode) {
          const joined = list.map(enc).join(',');
          items.push(rule.named ? `${spec.name}=${joined}` : joined);
        } else {
          items.push(
            list
              .map((v) =>
                rule.named ? `${spec.name}${v === '' ? rule.ifemp : `=${enc(v)}`}` : enc(v),
              )
              .join(rule.sep),
          );
        }
      } else {
        const pairs = value as [string, string][];
        if (!spec.explode) {
          const joined = pairs.flatMap(([k, v]) => [enc(k), enc(v)]).join(',');
          items.push(rule.named ? `${spec.name}=${joined}` : joined);
        } else {
          items.push(
            pairs
              .map(([k, v]) =>
                rule.named && v === '' ? `${enc(k)}${rule.ifemp}` : `${enc(k)}=${enc(v)}`,
              )
              .join(rule.sep),
          );
        }
      }
    }
    if (items.length > 0) out += rule.first + items.join(rule.sep);
  }
  return out;
}

function render(parts: readonly TemplatePart[]): string {
  return parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : `{${part.op}${part.specs
            .map((s) => `${s.name}${s.explode ? '*' : s.prefix > 0 ? `:${s.prefix}` : ''}`)
            .join(',')}}`,
    )
    .join('');
}

// Literal pieces, chosen to collide with operators, separators and classes.
const LITERAL_PIECES = ['a', 'Z', '0', '-', '.', '_', '~', '/', ':', '?', '#', '[', ']', '@'];
LITERAL_PIECES.push(
  '!',
  '$',
  '&',
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  '=',
  'é',
  '日',
  '😀',
  '%2F',
  '%41',
);
// Value pieces: everything encoding treats differently, pct-encoded text included.
const VALUE_PIECES = ['a', 'Z', '9', '-', '.', '_', '~', ' ', '/', '?', '#', '&', '=', ',', ';'];
VALUE_PIECES.push('%', '%41', '%e9', '%zz', 'é', '日', '😀', '+', ':', '[', '!', "'", '"', '{');

const literalArb = fc.string({ unit: fc.constantFrom(...LITERAL_PIECES), maxLength: 4 });
const textArb = fc.string({ unit: fc.constantFrom(...VALUE_PIECES), maxLength: 6 });
const specArb = fc.record({
  base: fc.constantFrom('v', 'a.b', 'x_', '%41', 'list'),
  modifier: fc.oneof(fc.constant(0), fc.constant(-1), fc.integer({ min: 1, max: 8 })),
});
const exprArb = fc.record({
  op: fc.constantFrom('', '+', '#', '.', '/', ';', '?', '&'),
  specs: fc.array(specArb, { minLength: 1, maxLength: 3 }),
});
const templateArb = fc
  .array(fc.oneof(literalArb, exprArb), { minLength: 1, maxLength: 5 })
  .map((raw) => {
    // Unique names, so each has one value whatever its modifiers.
    let n = 0;
    return raw.map(
      (part): TemplatePart =>
        typeof part === 'string'
          ? part
          : {
              op: part.op,
              specs: part.specs.map((s) => ({
                name: `${s.base}${n++}`,
                explode: s.modifier === -1,
                prefix: Math.max(0, s.modifier),
              })),
            },
    );
  });

function valueArb(spec: Spec): fc.Arbitrary<Value> {
  const scalar = fc.oneof(fc.constant(undefined), textArb);
  if (spec.prefix > 0) return scalar;
  return fc.oneof(
    scalar,
    fc.array(textArb, { maxLength: 3 }),
    fc.uniqueArray(fc.tuple(textArb, textArb), { maxLength: 3, selector: ([k]) => k }),
  );
}

const caseArb = templateArb.chain((parts) => {
  const specs = parts.flatMap((p) => (typeof p === 'string' ? [] : p.specs));
  return fc
    .tuple(...specs.map(valueArb))
    .map((values) => ({ parts, values: new Map(specs.map((s, i) => [s.name, values[i]])) }));
});

describe('property: every expansion matches its template', () => {
  it('on both engines', () => {
    fc.assert(
      fc.property(caseArb, ({ parts, values }) => {
        const template = render(parts);
        const expansion = expand(parts, values);
        for (const matcher of compileBoth(template)) {
          if (!matcher.matches(expansion)) {
            throw new Error(`${matcher.engine}: ${template} does not match ${expansion}`);
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('the regexp and the automaton agree on near misses', () => {
    const editArb = fc.tuple(fc.nat(), fc.constantFrom('', ...VALUE_PIECES, ...LITERAL_PIECES));
    fc.assert(
      fc.property(caseArb, fc.array(editArb, { maxLength: 3 }), ({ parts, values }, edits) => {
        const template = render(parts);
        let candidate = expand(parts, values);
        for (const [at, piece] of edits) {
          const i = candidate.length === 0 ? 0 : at % (candidate.length + 1);
          candidate = candidate.slice(0, i) + piece + candidate.slice(i + (piece === '' ? 1 : 0));
        }
        const [auto, automaton] = compileBoth(template);
        expect(auto.matches(candidate), `${template} ~ ${candidate}`).toBe(
          automaton.matches(candidate),
        );
      }),
      { numRuns: 3_000 },
    );
  });
});

// --------------------------------------------------------- hostile input

/** Per-match time bound; generous so that a loaded CI machine passes. */
const MATCH_BUDGET_MS = 50;

const exprs = (n: number, f: (i: number) => string, sep = '') =>
  Array.from({ length: n }, (_, i) => f(i)).join(sep);

/** Templates built to backtrack, with candidates built to make them fail late (or match late). */
const HOSTILE: [string, string, string][] = [
  ['adjacent ×32', exprs(32, (i) => `{a${i}}`), `${'a'.repeat(1999)}!`],
  ['adjacent ×32, matching', exprs(32, (i) => `{a${i}}`), 'a'.repeat(2000)],
  ['dash-separated ×32', exprs(32, (i) => `{a${i}}`, '-'), `${'-'.repeat(2000)}!`],
  ['dash-separated ×32, words', exprs(32, (i) => `{a${i}}`, '-'), `${'a-'.repeat(1000)}%`],
  ['reserved slash ×32', exprs(32, (i) => `{+a${i}}`, '/'), `${'/'.repeat(2000)} `],
  ['prefixes ×32', exprs(32, (i) => `{a${i}:9999}`), `${'%C3%A9'.repeat(333)}!`],
  ['labels ×32', exprs(32, (i) => `{.a${i}*}`), `${'.='.repeat(1000)}!`],
  [
    '64 query variables, failing last',
    `{?${exprs(64, (i) => `v${i}`, ',')}}`,
    `?${exprs(64, (i) => `v${i}=${'x'.repeat(25)}`, '&')}!`,
  ],
  ['64 simple variables', `{${exprs(64, (i) => `v${i}`, ',')}}`, `${','.repeat(2000)}!`],
  ['long literal run between variables', `{a}${'a'.repeat(2030)}{b}`, `${'a'.repeat(2000)}!`],
  ['long literal run, matching', `{a}${'a'.repeat(2030)}{b}`, 'a'.repeat(2100)],
  [
    'regexp path',
    'https://example.com/books/{id}',
    `https://example.com/books/${'a'.repeat(2000)}/`,
  ],
  ['regexp path, query', '{?topic}', `?topic=${'%2F'.repeat(666)}%`],
];

describe('hostile templates match in bounded time', () => {
  it.each(HOSTILE)('%s', (_label, template, candidate) => {
    expect(template.length).toBeLessThanOrEqual(MAX_TEMPLATE_LENGTH);
    let matcher: NonNullable<ReturnType<typeof compileUriTemplate>>;
    try {
      matcher = compileUriTemplate(template)!;
    } catch (error) {
      // Refusing a template too ambiguous to match quickly is the other bounded answer.
      expect(String(error)).toMatch(/too ambiguous to match quickly/);
      return;
    }
    matcher.matches(candidate); // warm up
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      matcher.matches(candidate);
      times.push(performance.now() - started);
    }
    const median = times.sort((a, b) => a - b)[2]!;
    expect(median, `${matcher.engine}: ${median.toFixed(2)} ms`).toBeLessThan(MATCH_BUDGET_MS);
  });
});
