import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import { parseDuration } from './duration.js';
import { parseServeArgs } from './settings.js';

function settings(args: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseServeArgs(args, env);
  if (command.help) throw new Error('unexpected help');
  return command.config;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isAndonError(error, 'ANDON_INVALID_SETTING')) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseDuration', () => {
  it('reads each unit into milliseconds', () => {
    expect(parseDuration('--x', '1ms')).toBe(1);
    expect(parseDuration('--x', '250ms')).toBe(250);
    expect(parseDuration('--x', '1s')).toBe(1000);
    expect(parseDuration('--x', '1.5s')).toBe(1500);
    expect(parseDuration('--x', '2m')).toBe(120_000);
    expect(parseDuration('--x', '1h')).toBe(3_600_000);
  });

  it('refuses a bare number or an unknown unit, naming the setting', () => {
    expect(refusal(() => parseDuration('--retry', '5'))).toMatch(/^--retry: "5" is not a duration/);
    expect(refusal(() => parseDuration('--retry', '5 days'))).toMatch(/use a number and a unit/);
    expect(refusal(() => parseDuration('--retry', '-1s'))).toMatch(/--retry/);
  });
});

describe('andon serve settings', () => {
  it('has the documented defaults', () => {
    expect(settings([])).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      timeInterval: 1000,
      store: { kind: 'memory' },
      durability: 'commit',
      retentionEvents: 100_000,
      retentionAge: 7 * 24 * 3600 * 1000,
      retainedTopics: 100_000,
      storeMaxSize: 0,
      heartbeat: 15_000,
      retry: 2000,
      anonymous: false,
      subscriptions: false,
      cookieName: 'mercureAuthorization',
      maxBody: 1024 * 1024,
      maxSelectors: 100,
      publishRate: 0,
      logLevel: 'info',
      publisherKey: undefined,
      subscriberKey: undefined,
      publishOrigins: [],
      corsOrigins: undefined,
    });
    expect(settings([]).maxSubscribers).toBeGreaterThan(0);
  });

  it('takes flags, and PORT/HOST from the environment when no flag is given', () => {
    expect(settings(['--port', '9000', '--time-interval', '1ms']).timeInterval).toBe(1);
    expect(settings([], { PORT: '9001' }).port).toBe(9001);
    expect(settings(['--port', '9002'], { PORT: '9001' }).port).toBe(9002);
    expect(settings([], { HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(settings(['--store', 'memory']).store).toEqual({ kind: 'memory' });
    expect(settings(['--store', 'sqlite:data/a.db']).store).toEqual({
      kind: 'sqlite',
      path: 'data/a.db',
    });
    expect(settings(['--retention-age', '2d']).retentionAge).toBe(2 * 86_400_000);
    expect(settings(['--heartbeat', '0s']).heartbeat).toBe(0);
  });

  it('refuses bad settings by name', () => {
    expect(refusal(() => settings(['--port', '70000']))).toMatch(/^--port: "70000"/);
    expect(refusal(() => settings([], { PORT: 'abc' }))).toMatch(/^PORT: "abc"/);
    expect(refusal(() => settings(['--time-interval', '0ms']))).toMatch(
      /^--time-interval: must be/,
    );
    expect(refusal(() => settings(['--store', 'postgres://x']))).toMatch(
      /^--store: "postgres:\/\/x" is not a store this build has; use memory, sqlite:PATH or redis:\/\/host:port\/db\.$/,
    );
    expect(refusal(() => settings(['--store', 'redis://cache/main']))).toMatch(
      /^--store: "redis:\/\/cache\/main" names database "main"; a Redis database is a number/,
    );
    expect(settings(['--store', 'redis://cache:6380/2']).store).toEqual({
      kind: 'redis',
      url: 'redis://cache:6380/2',
    });
    expect(refusal(() => settings(['--bogus']))).toMatch(/Unknown option '--bogus'/);
    expect(refusal(() => settings(['--retention-events', '-3']))).toMatch(/--retention-events/);
    expect(refusal(() => settings(['--durability', 'maybe']))).toMatch(
      /^--durability: "maybe" is not a durability/,
    );
  });

  it('reads --workers, ANDON_WORKERS and the workers key: 1 by default, 1 to 64', () => {
    expect(settings([]).workers).toBe(1);
    expect(settings(['--workers', '4']).workers).toBe(4);
    expect(settings([], { ANDON_WORKERS: '2' }).workers).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'andon-config-'));
    const json = join(dir, 'andon.json');
    writeFileSync(json, JSON.stringify({ workers: 3 }));
    expect(settings(['--config', json]).workers).toBe(3);
    expect(refusal(() => settings(['--workers', '0']))).toMatch(
      /^--workers: "0" is not a whole number from 1 to 64/,
    );
    expect(refusal(() => settings([], { ANDON_WORKERS: '65' }))).toMatch(/^ANDON_WORKERS: "65"/);
  });

  it('answers --help', () => {
    expect(parseServeArgs(['--help'], {})).toEqual({ help: true });
  });

  it('reads keys: --jwt-key for both roles, role keys and the Go hub environment names override it', () => {
    expect(settings(['--jwt-key', 's3cret'])).toMatchObject({
      publisherKey: { key: 's3cret' },
      subscriberKey: { key: 's3cret' },
    });
    const env = {
      MERCURE_PUBLISHER_JWT_KEY: 'pub',
      MERCURE_PUBLISHER_JWT_ALG: 'HS512',
      MERCURE_SUBSCRIBER_JWT_KEY: 'sub',
    };
    expect(settings(['--jwt-key', 'both'], env)).toMatchObject({
      publisherKey: { key: 'pub', alg: 'HS512' },
      subscriberKey: { key: 'sub' },
    });
    expect(
      settings(['--jwt-key', 'k', '--subscriber-jwks-url', 'http://127.0.0.1/jwks']).subscriberKey,
    ).toEqual({ jwksUrl: 'http://127.0.0.1/jwks' });
    expect(refusal(() => settings(['--jwt-alg', 'none']))).toMatch(
      /^--jwt-alg: "none" is not a supported algorithm/,
    );
  });

  it('reads sizes, lists and booleans', () => {
    expect(settings(['--max-body', '64KB']).maxBody).toBe(65536);
    expect(settings(['--max-body', '2048']).maxBody).toBe(2048);
    expect(refusal(() => settings(['--max-body', 'lots']))).toMatch(
      /^--max-body: "lots" is not a size/,
    );
    expect(
      settings(['--cors-origins', 'https://a.example, https://b.example']).corsOrigins,
    ).toEqual(['https://a.example', 'https://b.example']);
    expect(settings(['--anonymous']).anonymous).toBe(true);
    expect(settings([], { ANDON_ANONYMOUS: 'yes' }).anonymous).toBe(true);
    expect(refusal(() => settings([], { ANDON_SUBSCRIPTIONS: 'maybe' }))).toMatch(
      /^ANDON_SUBSCRIPTIONS: "maybe"/,
    );
  });

  it('reads a YAML or JSON config file, below flags and environment, and refuses unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'andon-config-'));
    const yaml = join(dir, 'andon.yaml');
    writeFileSync(
      yaml,
      'port: 9100\njwtKey: from-file\ncorsOrigins:\n  - https://screens.example\nanonymous: true\n',
    );
    expect(settings(['--config', yaml])).toMatchObject({
      port: 9100,
      anonymous: true,
      corsOrigins: ['https://screens.example'],
      publisherKey: { key: 'from-file' },
      configFile: yaml,
    });
    expect(settings(['--config', yaml, '--port', '9101']).port).toBe(9101);
    expect(settings([], { ANDON_CONFIG: yaml, PORT: '9102' }).port).toBe(9102);
    const json = join(dir, 'andon.json');
    writeFileSync(json, JSON.stringify({ prot: 1 }));
    expect(refusal(() => settings(['--config', json]))).toMatch(
      /^prot in .*andon.json: unknown setting/,
    );
    writeFileSync(json, JSON.stringify({ maxSelectors: 'many' }));
    expect(refusal(() => settings(['--config', json]))).toMatch(
      /^maxSelectors in .*andon.json: "many"/,
    );
    writeFileSync(json, '{ not json');
    expect(refusal(() => settings(['--config', json]))).toMatch(/is not valid JSON/);
    expect(refusal(() => settings(['--config', join(dir, 'missing.yaml')]))).toMatch(/cannot read/);
  });
});
