/**
 * `andon serve` settings: flags, then environment, then the config file,
 * then defaults, validated once. A bad setting stops the start with the
 * setting's name (`--port`, `PORT`, or `port in andon.yaml`).
 */
import { parseArgs } from 'node:util';
import { AndonError } from '../errors.js';
import { JWT_ALGORITHMS, type JwtAlgorithm, type KeyConfig } from '../mercure/auth.js';
import { defaultMaxSubscribers } from '../server/open-files.js';
import { parseRedisUrl } from '../store/redis-url.js';
import { readConfigFile } from './config-file.js';
import { parseDuration } from './duration.js';
import { LOG_LEVELS, SERVE_SETTINGS, type SettingSpec, STRUCTURED_KEYS } from './schema.js';

/** Where events are kept: memory, a SQLite file, or Redis (several hubs sharing it are one). */
export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'redis'; readonly url: string };

/** SQLite durability modes (see `store/sqlite.ts`). */
export const DURABILITIES = ['commit', 'batch', 'none'] as const;

/** Everything `andon serve` runs with, validated. */
export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly store: StoreSpec;
  /** Processes serving: 1 serves in this process; more fork node:cluster workers. */
  readonly workers: number;
  readonly durability: (typeof DURABILITIES)[number];
  readonly retentionEvents: number;
  readonly retentionAge: number;
  readonly retainedTopics: number;
  readonly storeMaxSize: number;
  /** Redis key prefix: hubs sharing it on one Redis are one hub. */
  readonly redisPrefix: string;
  /** Replicas that must confirm each append (Redis WAIT) before it is acknowledged. */
  readonly redisReplicas: number;
  readonly timeInterval: number;
  readonly heartbeat: number;
  readonly retry: number;
  readonly publisherKey: KeyConfig | undefined;
  readonly subscriberKey: KeyConfig | undefined;
  readonly anonymous: boolean;
  readonly subscriptions: boolean;
  readonly corsOrigins: readonly string[] | undefined;
  readonly publishOrigins: readonly string[];
  readonly cookieName: string;
  readonly maxBody: number;
  readonly maxSelectors: number;
  readonly maxSubscribers: number;
  readonly publishRate: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Run the demo simulator and its board. */
  readonly demo: boolean;
  /** The config file's `boards` entry, as written; validated by `boards/config.ts`. */
  readonly boards: unknown;
  /** The config file's `sources` entry, as written; validated by `sources/config.ts`. */
  readonly sources: unknown;
  /** The config file read, if any. */
  readonly configFile: string | undefined;
}

/** Usage text of `andon serve`, from the settings table. */
export const SERVE_USAGE = `Usage: andon serve [--config FILE] [options]

Options (flag, then environment variable; all may also be keys of the config file):
${SERVE_SETTINGS.map((s) => {
  const left = `  --${s.flag}${s.kind === 'boolean' ? '' : ` ${s.kind === 'duration' ? 'D' : 'V'}`}`;
  const env = s.env.length > 0 ? `; env ${s.env.join(', ')}` : '';
  const def =
    s.default !== undefined ? ` (default ${s.default}${env})` : env ? ` (${env.slice(2)})` : '';
  return `${left.padEnd(28)}${s.help}${def}`;
}).join('\n')}
  --config FILE             read settings from a JSON or YAML file (env ANDON_CONFIG)
  -h, --help                show this help

Durations take a unit: 1ms, 500ms, 1s, 2m, 1h, 7d. Sizes: 512, 64KB, 1MB.`;

/** Result of parsing: settings to serve with, or a request for help. */
export type ServeCommand =
  | { readonly help: true }
  | { readonly help: false; readonly config: ServeConfig };

function invalid(setting: string, message: string): AndonError {
  return new AndonError('ANDON_INVALID_SETTING', `${setting}: ${message}`);
}

const SIZE = /^(\d+)\s*(B|KB|KIB|MB|MIB)?$/i;
const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  KIB: 1024,
  MB: 1 << 20,
  MIB: 1 << 20,
};

/** Reads one raw value according to its spec. `label` names where it came from. */
function readValue(spec: SettingSpec, label: string, raw: unknown): unknown {
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number')
        throw invalid(label, 'must be a string.');
      return text;
    case 'port':
    case 'count': {
      const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      const min = spec.min ?? 0;
      const max = spec.max ?? (spec.kind === 'port' ? 65535 : 100_000_000);
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw invalid(label, `"${text}" is not a whole number from ${min} to ${max}.`);
      }
      return value;
    }
    case 'duration':
      return parseDuration(label, text);
    case 'size': {
      const match = SIZE.exec(text.trim());
      const unit = SIZE_UNITS[(match?.[2] ?? 'B').toUpperCase()];
      if (match === null || unit === undefined) {
        throw invalid(
          label,
          `"${text}" is not a size; use bytes or a unit, e.g. 65536, 64KB, 1MB.`,
        );
      }
      return Number(match[1]) * unit;
    }
    case 'boolean':
      if (raw === true || raw === false) return raw;
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off|)$/i.test(text)) return false;
      throw invalid(label, `"${text}" is not a boolean; use true or false.`);
    case 'list':
      return (Array.isArray(raw) ? raw.map(String) : text.split(','))
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'algorithm':
      if (!(JWT_ALGORITHMS as readonly string[]).includes(text)) {
        throw invalid(
          label,
          `"${text}" is not a supported algorithm; use one of ${JWT_ALGORITHMS.join(', ')}.`,
        );
      }
      return text;
    case 'log-level':
      if (!(LOG_LEVELS as readonly string[]).includes(text)) {
        throw invalid(label, `"${text}" is not a log level; use one of ${LOG_LEVELS.join(', ')}.`);
      }
      return text;
    case 'store':
      if (text === 'memory') return { kind: 'memory' };
      if (text.startsWith('sqlite:') && text.length > 'sqlite:'.length) {
        return { kind: 'sqlite', path: text.slice('sqlite:'.length) };
      }
      if (/^(redis|rediss|redis\+sentinel):\/\//.test(text)) {
        try {
          parseRedisUrl(text);
        } catch (error) {
          throw invalid(label, (error as Error).message);
        }
        return { kind: 'redis', url: text };
      }
      throw invalid(
        label,
        `"${text}" is not a store this build has; use memory, sqlite:PATH or redis://host:port/db.`,
      );
    case 'durability':
      if (!(DURABILITIES as readonly string[]).includes(text)) {
        throw invalid(label, `"${text}" is not a durability; use ${DURABILITIES.join(', ')}.`);
      }
      return text;
  }
}

/** Parses `andon serve` arguments, environment and config file into validated settings. */
export function parseServeArgs(args: readonly string[], env: NodeJS.ProcessEnv): ServeCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const spec of SERVE_SETTINGS)
    options[spec.flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options,
    }));
  } catch (error) {
    throw new AndonError('ANDON_INVALID_SETTING', `${(error as Error).message}\n\n${SERVE_USAGE}`);
  }
  if (flags.help === true) return { help: true };

  const configFile =
    typeof flags.config === 'string' ? flags.config : env.ANDON_CONFIG || undefined;
  const file = configFile === undefined ? {} : readConfigFile(configFile);
  const known = new Set<string>([...SERVE_SETTINGS.map((s) => s.key), ...STRUCTURED_KEYS]);
  for (const key of Object.keys(file)) {
    if (!known.has(key)) {
      throw invalid(
        `${key} in ${configFile}`,
        `unknown setting; known settings are ${[...known].join(', ')}.`,
      );
    }
  }

  const values: Record<string, unknown> = {};
  for (const spec of SERVE_SETTINGS) {
    const flag = flags[spec.flag];
    const envName = spec.env.find((name) => env[name] !== undefined && env[name] !== '');
    if (flag !== undefined) values[spec.key] = readValue(spec, `--${spec.flag}`, flag);
    else if (envName !== undefined) values[spec.key] = readValue(spec, envName, env[envName]);
    else if (file[spec.key] !== undefined) {
      values[spec.key] = readValue(spec, `${spec.key} in ${configFile}`, file[spec.key]);
    } else if (spec.default !== undefined)
      values[spec.key] = readValue(spec, `default of --${spec.flag}`, spec.default);
  }

  const timeInterval = values.timeInterval as number;
  if (timeInterval < 1) throw invalid('--time-interval', 'must be at least 1ms.');
  const key = (role: 'publisher' | 'subscriber'): KeyConfig | undefined => {
    const jwksUrl = values[`${role}JwksUrl`] as string | undefined;
    // A role's JWKS URL replaces the shared key rather than conflicting with it.
    const secret =
      (values[`${role}JwtKey`] as string | undefined) ??
      (jwksUrl === undefined ? (values.jwtKey as string | undefined) : undefined);
    // Only an algorithm set explicitly is passed: the verifier defaults to HS256
    // for a key and to the asymmetric algorithms for a key set.
    const alg = (values[`${role}JwtAlg`] ?? values.jwtAlg) as JwtAlgorithm | undefined;
    if (secret === undefined && jwksUrl === undefined) return undefined;
    return {
      ...(secret === undefined ? {} : { key: secret }),
      ...(jwksUrl === undefined ? {} : { jwksUrl }),
      ...(alg === undefined ? {} : { alg }),
    };
  };
  return {
    help: false,
    config: {
      port: values.port as number,
      host: values.host as string,
      store: values.store as StoreSpec,
      workers: values.workers as number,
      durability: values.durability as ServeConfig['durability'],
      retentionEvents: values.retentionEvents as number,
      retentionAge: values.retentionAge as number,
      retainedTopics: values.retainedTopics as number,
      storeMaxSize: values.storeMaxSize as number,
      redisPrefix: values.redisPrefix as string,
      redisReplicas: values.redisReplicas as number,
      timeInterval,
      heartbeat: values.heartbeat as number,
      retry: values.retry as number,
      publisherKey: key('publisher'),
      subscriberKey: key('subscriber'),
      anonymous: values.anonymous as boolean,
      subscriptions: values.subscriptions as boolean,
      corsOrigins: values.corsOrigins as string[] | undefined,
      publishOrigins: (values.publishOrigins as string[] | undefined) ?? [],
      cookieName: values.cookieName as string,
      maxBody: values.maxBody as number,
      maxSelectors: values.maxSelectors as number,
      maxSubscribers: (values.maxSubscribers as number | undefined) ?? defaultMaxSubscribers(),
      publishRate: values.publishRate as number,
      logLevel: values.logLevel as ServeConfig['logLevel'],
      demo: values.demo as boolean,
      boards: file.boards,
      sources: file.sources,
      configFile,
    },
  };
}
