/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` (installed
 * here when missing, as `.ci/run` does beforehand), a fresh cluster in a
 * temporary folder, listening on a free loopback port, with trust auth for
 * the `postgres` user. The server can be stopped and started again on the
 * same port (an outage), and is always stopped and deleted after the test
 * file (the `afterAll` below), whatever the test did.
 *
 * PostgreSQL refuses to run as root: as root, every command runs as the
 * `postgres` user the package creates, and the folder is given to it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort } from './andon-process.js';
import { ensurePackages } from './debian-packages.js';

/** Where Debian puts each PostgreSQL version's programs. */
const PG_LIB = '/usr/lib/postgresql';
/** initdb, start and stop take about a second each; CI can be slow. */
const PG_CTL_TIMEOUT_S = 30;

/** A running (or stopped) test cluster. */
export interface TestPostgres {
  /** The loopback port it listens on, kept across stop and start. */
  readonly port: number;
  /** A connection URL to `database` (default `postgres`), user `postgres`, no password. */
  url(database?: string): string;
  /** Creates a database; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut, as in an outage). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it (if running) and deletes its folder. */
  destroy(): Promise<void>;
}

/** The bin folder of the newest installed PostgreSQL, or undefined. */
function findBin(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB)
    .filter((v) => existsSync(join(PG_LIB, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_LIB, versions[0], 'bin');
}

/** The PostgreSQL bin folder, installing Debian's `postgresql` first when it is missing. */
export function ensurePostgres(): string {
  ensurePackages({
    packages: ['postgresql'],
    installed: () => findBin() !== undefined,
    neededBy: 'The PostgreSQL tests need',
  });
  return findBin()!;
}

const asRoot = process.getuid?.() === 0;

/** `command args` as the `postgres` user when we are root, as ourselves otherwise. */
function asPostgres(command: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
}

/** Runs a PostgreSQL program to completion; rejects with its output when it fails. */
function run(command: string, args: readonly string[], what: string): Promise<void> {
  const [file, argv] = asPostgres(command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

const running = new Set<{ dataDir: string; bin: string; root: string }>();

/** Stops and deletes every cluster still here: the file's end, or the worker's. */
function stopAllSync(): void {
  for (const cluster of running) {
    const [file, argv] = asPostgres(join(cluster.bin, 'pg_ctl'), [
      '-D',
      cluster.dataDir,
      '-m',
      'immediate',
      '-w',
      'stop',
    ]);
    spawnSync(file, argv, { stdio: 'ignore' });
    rmSync(cluster.root, { recursive: true, force: true });
  }
  running.clear();
}

afterAll(() => stopAllSync());
process.once('exit', stopAllSync);

/** Creates a cluster in a temporary folder and starts it on a free loopback port. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = ensurePostgres();
  const root = mkdtempSync(join(tmpdir(), 'andon-pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    chownSync(root, uid, gid);
  }
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const cluster = { dataDir, bin, root };
  running.add(cluster);
  const port = await freePort();
  await run(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    'initdb',
  );
  // Durability is not what these tests are about: skip the flushes.
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${root}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  const pgCtl = (action: 'start' | 'stop') =>
    run(
      join(bin, 'pg_ctl'),
      action === 'start'
        ? [
            '-D',
            dataDir,
            '-l',
            logFile,
            '-o',
            options,
            '-w',
            '-t',
            String(PG_CTL_TIMEOUT_S),
            'start',
          ]
        : ['-D', dataDir, '-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_S), 'stop'],
      `pg_ctl ${action}`,
    ).catch((error: Error) => {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
      throw new Error(`${error.message}\n\nserver log:\n${log}`);
    });
  await pgCtl('start');
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop: () => pgCtl('stop'),
    start: () => pgCtl('start'),
    async destroy() {
      if (!running.has(cluster)) return;
      await pgCtl('stop').catch(() => undefined);
      running.delete(cluster);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
