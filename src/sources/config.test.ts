/** The `sources:` entry: defaults, paths, and errors that name the source and field. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAndonError } from '../errors.js';
import { createSources, parseSources } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'andon-sources-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'andon.yaml');
writeFileSync(join(dir, 'query.sql'), 'SELECT 1 AS id');

const base = {
  kind: 'postgres',
  url: 'postgres://andon:secret@db.example/mes',
  query: 'SELECT id FROM workplaces',
  key: 'id',
  topic: 'https://andon.example/workplaces/{key}',
};

function refusal(raw: unknown): string {
  try {
    parseSources(raw, file);
  } catch (error) {
    expect(isAndonError(error, 'ANDON_INVALID_SETTING')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('parseSources', () => {
  it('reads a postgres source with defaults', () => {
    expect(parseSources({ mes: base }, file)).toEqual([
      {
        name: 'mes',
        kind: 'postgres',
        url: base.url,
        path: undefined,
        query: base.query,
        every: 5000,
        key: 'id',
        topic: base.topic,
        fields: undefined,
        timeout: 10_000,
        retry: 1000,
        retryMax: 30_000,
      },
    ]);
    expect(parseSources(undefined, file)).toEqual([]);
  });

  it('resolves a sqlite path and a query file against the config file', () => {
    const [spec] = parseSources(
      {
        hall: {
          kind: 'sqlite',
          path: 'mes.db',
          queryFile: 'query.sql',
          every: '250ms',
          key: 'id',
          topic: base.topic,
          fields: { name: 'workplace_name' },
          retry: '2s',
          retryMax: '1m',
        },
      },
      file,
    );
    expect(spec).toMatchObject({
      path: join(dir, 'mes.db'),
      query: 'SELECT 1 AS id',
      every: 250,
      fields: { name: 'workplace_name' },
      retry: 2000,
      retryMax: 60_000,
    });
  });

  it.each([
    [[], 'sources in andon.yaml: must be a mapping'],
    [{ 'a b': base }, 'sources.a b in andon.yaml: a source name'],
    [{ mes: 'x' }, 'sources.mes in andon.yaml: must be a mapping'],
    [{ mes: { ...base, colour: 1 } }, 'sources.mes.colour in andon.yaml: unknown field'],
    [
      { mes: { ...base, kind: 'mysql' } },
      'sources.mes.kind in andon.yaml: "mysql" is not a source kind',
    ],
    [{ mes: { ...base, kind: undefined } }, 'sources.mes.kind in andon.yaml: is required'],
    [
      { mes: { ...base, url: 'mysql://x' } },
      'sources.mes.url in andon.yaml: must start with postgres://',
    ],
    [{ mes: { ...base, path: 'x.db' } }, 'sources.mes.path in andon.yaml: is for sqlite sources'],
    [
      { mes: { ...base, kind: 'sqlite', url: undefined } },
      'sources.mes.path in andon.yaml: is required',
    ],
    [{ mes: { ...base, query: undefined } }, 'sources.mes.query in andon.yaml: give exactly one'],
    [{ mes: { ...base, queryFile: 'q.sql' } }, 'sources.mes.query in andon.yaml: give exactly one'],
    [
      { mes: { ...base, query: undefined, queryFile: 'missing.sql' } },
      'sources.mes.queryFile in andon.yaml: cannot read',
    ],
    [
      { mes: { ...base, topic: 'https://andon.example/x' } },
      'sources.mes.topic in andon.yaml: must contain {key}',
    ],
    [{ mes: { ...base, key: '' } }, 'sources.mes.key in andon.yaml: must be a non-empty string'],
    [
      { mes: { ...base, fields: { name: 3 } } },
      'sources.mes.fields.name in andon.yaml: must name a column',
    ],
    [
      { mes: { ...base, fields: {} } },
      'sources.mes.fields in andon.yaml: must be a non-empty mapping',
    ],
    [{ mes: { ...base, every: 5 } }, 'sources.mes.every in andon.yaml: "5" is not a duration'],
    [
      { mes: { ...base, every: '10ms' } },
      'sources.mes.every in andon.yaml: must be at least 100ms',
    ],
    [
      { mes: { ...base, retry: '10s', retryMax: '5s' } },
      'sources.mes.retryMax in andon.yaml: must be at least retry',
    ],
  ])('refuses %j naming the field', (raw, message) => {
    expect(refusal(raw)).toContain(message);
  });
});

describe('createSources', () => {
  it('adds the demo hall with demo, and keeps its name for it', () => {
    const sources = createSources({ demo: true, sources: { mes: base }, configFile: file });
    expect(sources.map((s) => s.name)).toEqual(['demo', 'mes']);
    expect(createSources({ demo: false, sources: undefined, configFile: undefined })).toEqual([]);
    expect(() => createSources({ demo: true, sources: { demo: base }, configFile: file })).toThrow(
      /sources\.demo: the name is taken/,
    );
  });
});
