/**
 * The regexp engine: whether a language tree may run as a backtracking
 * `RegExp` in linear time, and that `RegExp`'s source.
 */
import { type Builder, CLASS, LITERAL, MATCH, RESET, SPLIT } from './builder.js';
import { CHARS, RESERVED, UNRESERVED } from './chars.js';
import type { Node } from './language.js';

/** The character classes of `chars.ts` in `RegExp` syntax, for the regexp engine. */
const CLASS_SOURCE: Readonly<Record<number, string>> = {
  [UNRESERVED]: '[A-Za-z0-9\\-._~]',
  [UNRESERVED | RESERVED]: "[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=]",
};
const HEX_SOURCE = '[0-9A-Fa-f]';

const REGEXP_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

/** Estimated length of `regexpSource(node)`; `memo` caches the size of shared subtrees. */
export function regexpSize(node: Node, memo: Map<Node, number>): number {
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

/** The tree as `RegExp` source. Prefixes have none: only the automaton counts characters. */
export function regexpSource(node: Node): string {
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

/** True when the tree holds a prefix, so it must run on the automaton. */
export function hasPrefix(node: Node): boolean {
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
 * linear time. (The trees built by `language.ts` never read the empty string
 * two ways, so the second-path test has not yet been the deciding one: random
 * templates failing it also fail the overlap test. It stays as a cheap guard.)
 */
export function backtrackSafe(b: Builder, start: number): boolean {
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
