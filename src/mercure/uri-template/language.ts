/** The language of a parsed template's expansions, as a tree of regular-expression nodes. */
import { admits } from './chars.js';
import type { Expression, Operator, VarSpec } from './parse.js';

/** A regular language over the candidate's UTF-16 code units. */
export type Node =
  | { readonly kind: 'literal'; readonly text: string }
  /** Any run of allowed characters and `%HH` triplets (at least one when `nonEmpty`). */
  | { readonly kind: 'value'; readonly allow: number; readonly nonEmpty: boolean }
  /** Like `value`, at most `max` characters long (see the documentation of `uri-template.ts`). */
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

/** Literal text; the empty string is the empty sequence. */
export function literal(text: string): Node {
  return text === '' ? EMPTY : { kind: 'literal', text };
}
function value(allow: number, nonEmpty = false): Node {
  return { kind: 'value', allow, nonEmpty };
}
/** Concatenation. Nested sequences are kept, not flattened: shared subtrees must keep their identity. */
export function sequence(...nodes: Node[]): Node {
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
export function expressionNode({ op, vars }: Expression): Node {
  const items = vars.map((spec) => variableNode(op, spec));
  let more: Node = EMPTY;
  let rest: Node = items.at(-1)!;
  for (let i = items.length - 2; i >= 0; i--) {
    more = sequence(optional(sequence(literal(op.sep), items[i + 1]!)), more);
    rest = choice(sequence(items[i]!, more), rest);
  }
  return optional(sequence(literal(op.first), rest));
}
