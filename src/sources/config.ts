/**
 * Sources as configured: the `sources:` entry of the config file, validated
 * at start (an error names the source and the field), and the sources
 * `andon serve` runs: the demo hall with `--demo`, plus one SQL poller per
 * entry.
 *
 * ```yaml
 * sources:
 *   mes:
 *     kind: postgres                 # postgres | sqlite
 *     url: postgres://andon@db/mes   # postgres; omitted: PGHOST, PGUSER, PGPASSWORD...
 *     queryFile: query.sql           # or query: SELECT ...
 *     every: 5s
 *     key: workplace_id
 *     topic: https://andon.example/workplaces/{key}
 * ```
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseDuration } from '../cli/duration.js';
import { AndonError } from '../errors.js';
import { createSimulator } from './simulator.js';
import type { Source, SourceLogger } from './source.js';
import { createSqlSource } from './sql.js';
import { postgresConnector, redactUrl } from './sql-postgres.js';
import { sqliteConnector } from './sql-sqlite.js';

/** The databases a SQL source reads. */
export const SQL_KINDS = ['postgres', 'sqlite'] as const;

/** Keys of a source entry. */
export const SOURCE_KEYS = [
  'kind',
  'url',
  'path',
  'query',
  'queryFile',
  'every',
  'key',
  'topic',
  'fields',
  'timeout',
  'retry',
  'retryMax',
] as const;

/** Defaults of a source entry, in the config file's form. */
export const SOURCE_DEFAULTS = {
  every: '5s',
  timeout: '10s',
  retry: '1s',
  retryMax: '30s',
} as const;

/** Polling more often than this loads the MES database for no visible gain on a wall screen. */
export const MIN_EVERY_MS = 100;

/** A validated SQL source entry. */
export interface SqlSourceSpec {
  /** Its key under `sources:`. */
  readonly name: string;
  readonly kind: (typeof SQL_KINDS)[number];
  /** PostgreSQL URL; undefined uses the PG* environment variables. */
  readonly url: string | undefined;
  /** SQLite file, resolved against the config file's folder. */
  readonly path: string | undefined;
  /** The query text (from `query`, or read from `queryFile`). */
  readonly query: string;
  /** Ms between polls. */
  readonly every: number;
  /** Key column. */
  readonly key: string;
  /** Topic template with `{key}`. */
  readonly topic: string;
  /** Field name to column, or undefined for every column. */
  readonly fields: Readonly<Record<string, string>> | undefined;
  /** Ms a connection or query may take. */
  readonly timeout: number;
  /** First retry delay, ms. */
  readonly retry: number;
  /** Longest retry delay, ms. */
  readonly retryMax: number;
}

const NAME = /^[A-Za-z0-9_-]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the config file's `sources` entry (`raw`; undefined means none).
 * `configFile` names the file in errors and anchors relative paths (default:
 * the working directory). Throws `ANDON_INVALID_SETTING` naming the source
 * and field at fault.
 */
export function parseSources(raw: unknown, configFile?: string): SqlSourceSpec[] {
  const where = configFile === undefined ? '' : ` in ${basename(configFile)}`;
  const base = configFile === undefined ? process.cwd() : dirname(resolve(configFile));
  const fail = (field: string, message: string) =>
    new AndonError('ANDON_INVALID_SETTING', `${field}${where}: ${message}`);
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) throw fail('sources', 'must be a mapping of source names to sources.');
  return Object.entries(raw).map(([name, entry]) => {
    const at = `sources.${name}`;
    if (!NAME.test(name)) throw fail(at, 'a source name is letters, digits, - and _.');
    if (!isRecord(entry)) throw fail(at, 'must be a mapping (kind, query, key, topic...).');
    for (const key of Object.keys(entry)) {
      if (!(SOURCE_KEYS as readonly string[]).includes(key)) {
        throw fail(`${at}.${key}`, `unknown field; known fields are ${SOURCE_KEYS.join(', ')}.`);
      }
    }
    const text = (field: string, required: boolean): string | undefined => {
      const value = entry[field];
      if (value === undefined || value === null) {
        if (required) throw fail(`${at}.${field}`, 'is required.');
        return undefined;
      }
      if (typeof value !== 'string' || value.trim() === '') {
        throw fail(`${at}.${field}`, 'must be a non-empty string.');
      }
      return value;
    };
    const duration = (field: keyof typeof SOURCE_DEFAULTS): number => {
      const value = entry[field] ?? SOURCE_DEFAULTS[field];
      return parseDuration(`${at}.${field}${where}`, String(value));
    };

    const kind = text('kind', true);
    if (!(SQL_KINDS as readonly (string | undefined)[]).includes(kind)) {
      throw fail(`${at}.kind`, `"${kind}" is not a source kind; use ${SQL_KINDS.join(' or ')}.`);
    }
    const url = text('url', false);
    const path = text('path', false);
    if (kind === 'postgres' && path !== undefined) {
      throw fail(`${at}.path`, 'is for sqlite sources; a postgres source takes url.');
    }
    if (kind === 'sqlite') {
      if (url !== undefined)
        throw fail(`${at}.url`, 'is for postgres sources; a sqlite source takes path.');
      if (path === undefined) throw fail(`${at}.path`, 'is required: the SQLite database file.');
    }
    if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
      throw fail(`${at}.url`, 'must start with postgres:// or postgresql://.');
    }

    const query = text('query', false);
    const queryFile = text('queryFile', false);
    if ((query === undefined) === (queryFile === undefined)) {
      throw fail(
        `${at}.query`,
        'give exactly one of query (the SQL) or queryFile (a file holding it).',
      );
    }
    let sql = query ?? '';
    if (queryFile !== undefined) {
      try {
        sql = readFileSync(resolve(base, queryFile), 'utf8');
      } catch (error) {
        throw fail(`${at}.queryFile`, `cannot read ${queryFile}: ${(error as Error).message}`);
      }
      if (sql.trim() === '') throw fail(`${at}.queryFile`, `${queryFile} is empty.`);
    }

    const topic = text('topic', true) ?? '';
    if (!topic.includes('{key}')) {
      throw fail(
        `${at}.topic`,
        "must contain {key}, replaced by each row's key, e.g. https://andon.example/workplaces/{key}.",
      );
    }

    const fieldsRaw = entry.fields;
    let fields: Record<string, string> | undefined;
    if (fieldsRaw !== undefined && fieldsRaw !== null) {
      if (!isRecord(fieldsRaw) || Object.keys(fieldsRaw).length === 0) {
        throw fail(`${at}.fields`, 'must be a non-empty mapping of field names to columns.');
      }
      fields = {};
      for (const [field, column] of Object.entries(fieldsRaw)) {
        if (typeof column !== 'string' || column === '') {
          throw fail(`${at}.fields.${field}`, 'must name a column of the query.');
        }
        fields[field] = column;
      }
    }

    const every = duration('every');
    if (every < MIN_EVERY_MS) throw fail(`${at}.every`, `must be at least ${MIN_EVERY_MS}ms.`);
    const timeout = duration('timeout');
    if (timeout < 1) throw fail(`${at}.timeout`, 'must be at least 1ms.');
    const retry = duration('retry');
    if (retry < 1) throw fail(`${at}.retry`, 'must be at least 1ms.');
    const retryMax = duration('retryMax');
    if (retryMax < retry) throw fail(`${at}.retryMax`, 'must be at least retry.');

    return {
      name,
      kind: kind as SqlSourceSpec['kind'],
      url,
      path: path === undefined ? undefined : resolve(base, path),
      query: sql,
      every,
      key: text('key', true) ?? '',
      topic,
      fields,
      timeout,
      retry,
      retryMax,
    };
  });
}

/** Builds the SQL source of a validated entry. */
export function createSourceFromSpec(spec: SqlSourceSpec, logger?: SourceLogger): Source {
  const connect =
    spec.kind === 'postgres'
      ? postgresConnector({
          url: spec.url,
          timeout: spec.timeout,
          applicationName: `andon ${spec.name}`,
        })
      : sqliteConnector({ path: spec.path ?? '', timeout: spec.timeout });
  return createSqlSource({
    name: spec.name,
    connect,
    database: spec.kind === 'postgres' ? redactUrl(spec.url) : `sqlite:${spec.path}`,
    query: spec.query,
    every: spec.every,
    shape: { key: spec.key, topic: spec.topic, fields: spec.fields },
    retry: { initial: spec.retry, max: spec.retryMax },
    ...(logger === undefined ? {} : { logger }),
  });
}

/** What {@link createSources} reads of the serve settings. */
export interface SourcesSettings {
  /** Run the demo hall. */
  readonly demo: boolean;
  /** The config file's `sources` entry, as written. */
  readonly sources: unknown;
  /** The config file, for error messages and relative paths. */
  readonly configFile: string | undefined;
}

/**
 * The sources `andon serve` runs (not started): the demo hall when `demo`,
 * then each configured SQL source. Throws `ANDON_INVALID_SETTING` for a bad entry.
 */
export function createSources(settings: SourcesSettings, logger?: SourceLogger): Source[] {
  const specs = parseSources(settings.sources, settings.configFile);
  const sources: Source[] = [];
  if (settings.demo) sources.push(createSimulator(logger === undefined ? {} : { logger }));
  for (const spec of specs) {
    if (settings.demo && spec.name === 'demo') {
      throw new AndonError(
        'ANDON_INVALID_SETTING',
        'sources.demo: the name is taken by the demo hall (--demo); rename the source.',
      );
    }
    sources.push(createSourceFromSpec(spec, logger));
  }
  return sources;
}
