import { describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import { describeTarget, parseRedisUrl } from './redis-url.js';

function refusal(url: string): string {
  try {
    parseRedisUrl(url);
  } catch (error) {
    expect(isAndonError(error, 'ANDON_INVALID_OPTION'), url).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`${url} was accepted`);
}

describe('parseRedisUrl', () => {
  it('reads host, port, database and TLS', () => {
    expect(parseRedisUrl('redis://cache.internal:6380/2')).toEqual({
      kind: 'direct',
      host: 'cache.internal',
      port: 6380,
      db: 2,
      tls: false,
    });
    expect(parseRedisUrl('rediss://user:pw@[::1]')).toEqual({
      kind: 'direct',
      host: '::1',
      port: 6379,
      db: 0,
      tls: true,
    });
  });

  it('reads Sentinels, the group name, the database and the password', () => {
    const target = parseRedisUrl(
      'redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/hall/3',
    );
    expect(target).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'hall',
      db: 3,
      password: 's@cret',
    });
    expect(describeTarget(target)).toBe(
      'the primary of "hall" (Sentinels 10.0.0.1:26379,10.0.0.2:26379,::1:26380)/3',
    );
    expect(describeTarget(target)).not.toContain('cret');
    expect(parseRedisUrl('redis+sentinel://s1/hall')).toMatchObject({ name: 'hall', db: 0 });
  });

  it('says what is wrong with a bad URL', () => {
    expect(refusal('localhost:6379')).toMatch(/must start with redis:\/\//);
    expect(refusal('http://localhost:6379')).toMatch(/must start with redis:\/\//);
    expect(refusal('redis://localhost:6379/cache')).toMatch(
      /names database "cache"; a Redis database is a number/,
    );
    expect(refusal('not a url')).toMatch(/is not a URL/);
    expect(refusal('redis+sentinel://s1:26379')).toMatch(/names no group/);
    expect(refusal('redis+sentinel:///hall')).toMatch(/names no Sentinel/);
    expect(refusal('redis+sentinel://s1:99999/hall')).toMatch(/port 99999, outside 1-65535/);
    expect(refusal('redis+sentinel://s1/hall/0/x')).toMatch(/more path than \/name\/db/);
  });
});
