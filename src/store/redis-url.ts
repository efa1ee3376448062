/**
 * Where the Redis store connects: one Redis (`redis://`, `rediss://` for
 * TLS), or the current primary of a Sentinel-monitored group
 * (`redis+sentinel://`), which follows failovers. Every mistake is refused
 * with a sentence saying what was wrong.
 */
import { AndonError } from '../errors.js';

/** One Redis at a fixed address. */
export interface DirectTarget {
  readonly kind: 'direct';
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly tls: boolean;
}

/** The primary of a group that Redis Sentinel monitors (and fails over). */
export interface SentinelTarget {
  readonly kind: 'sentinel';
  /** The Sentinels asked for the current primary, in order. */
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** The group's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  readonly name: string;
  readonly db: number;
  /** The data nodes' password (`requirepass`), if any; Sentinels are asked without one. */
  readonly password?: string | undefined;
}

/** Where a Redis store connects. */
export type RedisTarget = DirectTarget | SentinelTarget;

const USAGE =
  'use redis://host:port/db, rediss://host:port/db or redis+sentinel://host:port,host:port/name/db';

function refuse(url: string, why: string): AndonError {
  return new AndonError('ANDON_INVALID_OPTION', `"${url}" ${why}; ${USAGE}.`);
}

function parseDb(url: string, text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d{1,5}$/.test(text)) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `"${url}" names database "${text}"; a Redis database is a number, like redis://host:6379/0.`,
    );
  }
  return Number(text);
}

/** `host:port` or `[v6]:port`, with a default port. */
function parseHostPort(url: string, text: string, defaultPort: number) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (match === null) throw refuse(url, `has "${text}" where a host:port belongs`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) throw refuse(url, `has port ${port}, outside 1-65535`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function parseSentinel(url: string): SentinelTarget {
  let rest = url.slice('redis+sentinel://'.length);
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    password = decodeURIComponent(auth.includes(':') ? auth.slice(auth.indexOf(':') + 1) : auth);
    rest = rest.slice(at + 1);
  }
  const [hosts = '', name, db, ...extra] = rest.split('/');
  if (hosts === '') throw refuse(url, 'names no Sentinel');
  if (name === undefined || name === '') {
    throw refuse(url, 'names no group: the path must be the name Sentinel monitors');
  }
  if (extra.length > 0) throw refuse(url, 'has more path than /name/db');
  return {
    kind: 'sentinel',
    sentinels: hosts.split(',').map((part) => parseHostPort(url, part, 26379)),
    name: decodeURIComponent(name),
    db: parseDb(url, db),
    password: password === '' ? undefined : password,
  };
}

/** Checks a Redis URL and says, in a sentence, what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith('redis+sentinel://')) return parseSentinel(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse(url, 'is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw refuse(url, 'is not a Redis URL: it must start with redis://');
  }
  if (parsed.hostname === '') throw refuse(url, 'names no host');
  return {
    kind: 'direct',
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: parseDb(url, parsed.pathname.replace(/^\//, '')),
    tls: parsed.protocol === 'rediss:',
  };
}

/** The target in a few words, for health and logs (never the password). */
export function describeTarget(target: RedisTarget): string {
  if (target.kind === 'direct') return `${target.host}:${target.port}/${target.db}`;
  const sentinels = target.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  return `the primary of "${target.name}" (Sentinels ${sentinels})/${target.db}`;
}
