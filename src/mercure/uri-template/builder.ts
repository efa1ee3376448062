/** Building a language tree into a Thompson automaton: its states, and the builder. */
import { HEX, HEX_CONT, HEX_LEAD } from './chars.js';
import type { Node } from './language.js';

// State kinds. Consuming states read one code unit; the others are ε-moves.
export const LITERAL = 0;
export const CLASS = 1;
export const SPLIT = 2;
/** ε-move that zeroes the prefix counter (entering a prefixed variable). */
export const RESET = 3;
export const MATCH = 4;
// What a consuming state does to the prefix counter.
const COUNT_CLEAR = 0;
export const COUNT_KEEP = 1;
export const COUNT_ADD = 2;

/** A Thompson automaton under construction, built backwards from its continuation. */
export class Builder {
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
