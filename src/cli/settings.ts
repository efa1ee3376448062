/**
 * `andon serve` settings: flags, then environment, then defaults, validated
 * once. A bad setting stops the start with the setting's name.
 */
import { parseArgs } from 'node:util';
import { AndonError } from '../errors.js';
import type { ServerSettings } from '../server/server.js';
import { parseDuration } from './duration.js';

/** Defaults of `andon serve`. */
export const SERVE_DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  timeInterval: '1s',
  store: 'memory',
  heartbeat: '15s',
  retry: '2s',
  replay: 1000,
} as const;

/** The stores this build knows. */
export const STORE_KINDS = ['memory'] as const;

/** Usage text of `andon serve`. */
export const SERVE_USAGE = `Usage: andon serve [options]

Options:
  --port N            TCP port (default ${SERVE_DEFAULTS.port}; env PORT)
  --host ADDR         address to listen on (default ${SERVE_DEFAULTS.host}; env HOST)
  --time-interval D   rate of the /time stream (default ${SERVE_DEFAULTS.timeInterval}; 1ms works)
  --store KIND        where events are kept: memory (default ${SERVE_DEFAULTS.store})
  --heartbeat D       heartbeat comment interval, 0s disables (default ${SERVE_DEFAULTS.heartbeat})
  --retry D           reconnection delay told to clients (default ${SERVE_DEFAULTS.retry})
  --replay N          events of /time kept for replay (default ${SERVE_DEFAULTS.replay})
  -h, --help          show this help

Durations take a unit: 1ms, 500ms, 1s, 2m, 1h.`;

function invalid(setting: string, message: string): AndonError {
  return new AndonError('ANDON_INVALID_SETTING', `${setting}: ${message}`);
}

function parseCount(setting: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(setting, `"${text}" is not a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** Result of parsing: settings to serve with, or a request for help. */
export type ServeCommand =
  | { readonly help: true }
  | { readonly help: false; readonly settings: ServerSettings };

/** Parses `andon serve` arguments and environment into validated settings. */
export function parseServeArgs(args: readonly string[], env: NodeJS.ProcessEnv): ServeCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'time-interval': { type: 'string' },
        store: { type: 'string' },
        heartbeat: { type: 'string' },
        retry: { type: 'string' },
        replay: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new AndonError('ANDON_INVALID_SETTING', `${(error as Error).message}\n\n${SERVE_USAGE}`);
  }
  if (values.help === true) return { help: true };
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };

  const portFlag = text('port');
  const port =
    portFlag !== undefined
      ? parseCount('--port', portFlag, 0, 65535)
      : env.PORT !== undefined && env.PORT !== ''
        ? parseCount('PORT', env.PORT, 0, 65535)
        : SERVE_DEFAULTS.port;
  const host = text('host') ?? (env.HOST || SERVE_DEFAULTS.host);
  const timeInterval = parseDuration(
    '--time-interval',
    text('time-interval') ?? SERVE_DEFAULTS.timeInterval,
  );
  if (timeInterval < 1) throw invalid('--time-interval', 'must be at least 1ms.');
  const store = text('store') ?? SERVE_DEFAULTS.store;
  if (!(STORE_KINDS as readonly string[]).includes(store)) {
    throw invalid(
      '--store',
      `"${store}" is not a store this build has; use ${STORE_KINDS.join(', ')}.`,
    );
  }
  const heartbeat = parseDuration('--heartbeat', text('heartbeat') ?? SERVE_DEFAULTS.heartbeat);
  const retry = parseDuration('--retry', text('retry') ?? SERVE_DEFAULTS.retry);
  const replayFlag = text('replay');
  const replay =
    replayFlag === undefined
      ? SERVE_DEFAULTS.replay
      : parseCount('--replay', replayFlag, 0, 10_000_000);
  return {
    help: false,
    settings: { port, host, timeInterval, store: 'memory', heartbeat, retry, replay },
  };
}
