/**
 * Topic selectors: the draft's four steps, limits, `matchesAny` and the
 * bounded LRU cache.
 */
import { describe, expect, it } from 'vitest';
import { type AndonErrorCode, isAndonError } from '../errors.js';
import {
  compileSelector,
  DEFAULT_SELECTOR_CACHE_SIZE,
  MATCH_ALL_SELECTOR,
  MAX_SELECTOR_LENGTH,
  matchesAny,
  SelectorCache,
} from './topic-selector.js';

function refused(run: () => unknown, code: AndonErrorCode = 'ANDON_INVALID_SELECTOR'): string {
  try {
    run();
  } catch (error) {
    expect(isAndonError(error, code)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('not refused');
}

describe('compileSelector', () => {
  it('step 1: `*` matches every topic', () => {
    const all = compileSelector(MATCH_ALL_SELECTOR);
    for (const topic of ['', '*', 'https://example.com/{id}', 'urn:x', ' ']) {
      expect(all(topic)).toBe(true);
    }
    expect(compileSelector('*')).toBe(all); // a constant, not a new closure per subscription
  });

  it('step 2: a selector matches the same string, template or not', () => {
    const template = compileSelector('https://example.com/books/{id}');
    // `{` is not allowed in a variable: only the exact step matches this.
    expect(template('https://example.com/books/{id}')).toBe(true);
    const plain = compileSelector('https://example.com/books/1');
    expect(plain('https://example.com/books/1')).toBe(true);
    expect(plain('https://example.com/books/2')).toBe(false);
    expect(plain('https://example.com/books/1/')).toBe(false);
    expect(plain('HTTPS://example.com/books/1')).toBe(false);
  });

  it('step 3: a valid URI Template matches its expansions', () => {
    const books = compileSelector('https://example.com/books/{id}');
    expect(books('https://example.com/books/1')).toBe(true);
    expect(books('https://example.com/books/1/2')).toBe(false);
    expect(books('https://example.com/books/')).toBe(true);
    const query = compileSelector('https://example.com/users/foo/{?topic}');
    expect(
      query('https://example.com/users/foo/?topic=https%3A%2F%2Fexample.com%2Fbooks%2F1'),
    ).toBe(true);
    expect(compileSelector('{+path}/x')('a/b/c/x')).toBe(true);
    const subscriptions = compileSelector(
      '/.well-known/mercure/subscriptions/{topic}/{subscriber}',
    );
    expect(
      subscriptions(
        '/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2F%7Bselector%7D/urn%3Auuid%3Abb3de268-05b0-4c65-b44e-8f9acefc29d6',
      ),
    ).toBe(true);
  });

  it('step 4: a string that is not a valid template only matches itself', () => {
    for (const selector of [
      'https://example.com/{id',
      'https://example.com/{ id}',
      'https://example.com/{!id}',
      'https://example.com/}{id}',
      'it is {id}',
    ]) {
      const matches = compileSelector(selector);
      expect(matches(selector)).toBe(true);
      expect(matches('https://example.com/1')).toBe(false);
      expect(matches('https://example.com/')).toBe(false);
    }
  });

  it(`refuses selectors longer than ${MAX_SELECTOR_LENGTH} characters, naming the limit`, () => {
    const longest = `urn:${'x'.repeat(MAX_SELECTOR_LENGTH - 4)}`;
    expect(compileSelector(longest)(longest)).toBe(true);
    expect(refused(() => compileSelector(`${longest}x`))).toMatch(
      /2049 characters: the limit is 2048/,
    );
  });

  it('refuses templates past their limits, naming the limit', () => {
    const many = Array.from({ length: 33 }, (_, i) => `{v${i}}`).join('/');
    expect(refused(() => compileSelector(many))).toMatch(/too many expressions: the limit is 32/);
  });
});

describe('matchesAny', () => {
  const books = compileSelector('https://example.com/books/{id}');
  const users = compileSelector('https://example.com/users/1');

  it('is true when any topic (alternates included) matches any selector', () => {
    expect(matchesAny([users, books], ['https://example.com/books/1'])).toBe(true);
    expect(
      matchesAny([users], ['https://example.com/books/1', 'https://example.com/users/1']),
    ).toBe(true);
  });

  it('is false otherwise, and for empty lists', () => {
    expect(matchesAny([users, books], ['https://example.com/authors/1'])).toBe(false);
    expect(matchesAny([], ['https://example.com/books/1'])).toBe(false);
    expect(matchesAny([books], [])).toBe(false);
  });
});

describe('SelectorCache', () => {
  it(`holds ${DEFAULT_SELECTOR_CACHE_SIZE} selectors by default`, () => {
    const cache = new SelectorCache();
    for (let i = 0; i < DEFAULT_SELECTOR_CACHE_SIZE + 5; i++) cache.get(`urn:topic:${i}`);
    expect(cache.size).toBe(DEFAULT_SELECTOR_CACHE_SIZE);
  });

  it('returns the compiled matcher of a cached selector', () => {
    const cache = new SelectorCache();
    const first = cache.get('https://example.com/books/{id}');
    expect(cache.get('https://example.com/books/{id}')).toBe(first);
    expect(first('https://example.com/books/1')).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used selector', () => {
    const cache = new SelectorCache({ maxEntries: 2 });
    const a = cache.get('urn:a');
    const b = cache.get('urn:b');
    expect(cache.get('urn:a')).toBe(a); // a is now the most recently used
    const c = cache.get('urn:c'); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get('urn:a')).toBe(a);
    expect(cache.get('urn:c')).toBe(c);
    const b2 = cache.get('urn:b'); // compiled anew; evicts a
    expect(b2).not.toBe(b);
    expect(b2('urn:b')).toBe(true);
    expect(cache.get('urn:c')).toBe(c);
    expect(cache.get('urn:a')).not.toBe(a);
  });

  it('does not cache refused selectors', () => {
    const cache = new SelectorCache();
    const tooLong = 'x'.repeat(MAX_SELECTOR_LENGTH + 1);
    refused(() => cache.get(tooLong));
    refused(() => cache.get(tooLong));
    expect(cache.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxEntries %s', (max) => {
    expect(refused(() => new SelectorCache({ maxEntries: max }), 'ANDON_INVALID_OPTION')).toMatch(
      /maxEntries must be a positive integer/,
    );
  });
});
