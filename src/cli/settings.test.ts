import { describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import { parseDuration } from './duration.js';
import { parseServeArgs } from './settings.js';

function settings(args: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseServeArgs(args, env);
  if (command.help) throw new Error('unexpected help');
  return command.settings;
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
    expect(settings([])).toEqual({
      port: 8080,
      host: '0.0.0.0',
      timeInterval: 1000,
      store: 'memory',
      heartbeat: 15_000,
      retry: 2000,
      replay: 1000,
    });
  });

  it('takes flags, and PORT/HOST from the environment when no flag is given', () => {
    expect(settings(['--port', '9000', '--time-interval', '1ms']).timeInterval).toBe(1);
    expect(settings([], { PORT: '9001' }).port).toBe(9001);
    expect(settings(['--port', '9002'], { PORT: '9001' }).port).toBe(9002);
    expect(settings([], { HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(settings(['--store', 'memory']).store).toBe('memory');
    expect(settings(['--heartbeat', '0s']).heartbeat).toBe(0);
  });

  it('refuses bad settings by name', () => {
    expect(refusal(() => settings(['--port', '70000']))).toMatch(/^--port: "70000"/);
    expect(refusal(() => settings([], { PORT: 'abc' }))).toMatch(/^PORT: "abc"/);
    expect(refusal(() => settings(['--time-interval', '0ms']))).toMatch(
      /^--time-interval: must be/,
    );
    expect(refusal(() => settings(['--store', 'sqlite:x.db']))).toMatch(
      /^--store: "sqlite:x.db" is not a store this build has; use memory/,
    );
    expect(refusal(() => settings(['--bogus']))).toMatch(/Unknown option '--bogus'/);
    expect(refusal(() => settings(['--replay', '-3']))).toMatch(/--replay/);
  });

  it('answers --help', () => {
    expect(parseServeArgs(['--help'], {})).toEqual({ help: true });
  });
});
