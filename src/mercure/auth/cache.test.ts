import { describe, expect, it } from 'vitest';
import { cachedVerifier } from './cache.js';
import type { VerifiedToken } from './token.js';

function counting(result: (token: string) => VerifiedToken) {
  const calls: string[] = [];
  return {
    calls,
    verifier: {
      verify: async (token: string) => {
        calls.push(token);
        if (token.startsWith('bad')) throw new Error('refused');
        return result(token);
      },
    },
  };
}

const token = (exp?: number): VerifiedToken => ({
  mercure: { publish: ['*'] },
  exp,
  subject: undefined,
});

describe('cachedVerifier', () => {
  it('verifies a token once, then answers from the cache', async () => {
    const inner = counting(() => token());
    const cached = cachedVerifier(inner.verifier);
    await cached.verify('a');
    await cached.verify('a');
    await cached.verify('b');
    expect(inner.calls).toEqual(['a', 'b']);
  });

  it('never caches refusals', async () => {
    const inner = counting(() => token());
    const cached = cachedVerifier(inner.verifier);
    await expect(cached.verify('bad')).rejects.toThrow('refused');
    await expect(cached.verify('bad')).rejects.toThrow('refused');
    expect(inner.calls).toEqual(['bad', 'bad']);
  });

  it('checks again once the token expires or the TTL passes', async () => {
    const inner = counting(() => token(Math.floor(Date.now() / 1000) - 1));
    const cached = cachedVerifier(inner.verifier);
    await cached.verify('expired-in-tolerance');
    await cached.verify('expired-in-tolerance');
    expect(inner.calls).toHaveLength(2);
    const fresh = counting(() => token());
    const shortLived = cachedVerifier(fresh.verifier, 10, 0);
    await shortLived.verify('x');
    await shortLived.verify('x');
    expect(fresh.calls).toHaveLength(2);
  });

  it('stays bounded, dropping the least recently used', async () => {
    const inner = counting(() => token());
    const cached = cachedVerifier(inner.verifier, 2);
    await cached.verify('a');
    await cached.verify('b');
    await cached.verify('a');
    await cached.verify('c');
    await cached.verify('a');
    await cached.verify('b');
    expect(inner.calls).toEqual(['a', 'b', 'c', 'b']);
  });
});
