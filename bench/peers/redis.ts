/**
 * A Redis server for the Redis benchmarks: Debian's `redis-server`
 * (installed here when missing, as the tests install it), run in the
 * foreground on a free loopback port with its files in the run's scratch
 * directory, with the persistence a production hub would use
 * (`appendonly yes`, `appendfsync everysec` unless told otherwise).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { stopChild } from './node-peers.js';
import { freePort, treeCpuMs } from './peer.js';

const REDIS_SERVER = '/usr/bin/redis-server';
/** apt-get on a cold mirror can take minutes; past this the setup gives up loudly. */
const APT_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 10_000;

/** A running benchmark Redis. */
export interface BenchRedis {
  /** `redis://127.0.0.1:<port>/0`. */
  readonly url: string;
  readonly pid: number;
  /** CPU time Redis used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Installs redis-server when missing; throws with apt's words if that fails. */
export function ensureRedisServer(log: (line: string) => void = () => {}): void {
  if (existsSync(REDIS_SERVER)) return;
  log('installing redis-server (apt-get) for the Redis benchmarks');
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      encoding: 'utf8',
      timeout: APT_TIMEOUT_MS,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let install = apt(['install', '-y', '--no-install-recommends', 'redis-server']);
  if (install.status !== 0) {
    apt(['update']);
    install = apt(['install', '-y', '--no-install-recommends', 'redis-server']);
  }
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      'The Redis benchmarks need Debian package redis-server, and installing it failed. ' +
        'Install it (as root: apt-get update && apt-get install -y redis-server), then run the benchmark again.' +
        `\n\napt-get said:\n${`${install.stdout ?? ''}${install.stderr ?? ''}`.slice(-4000)}`,
    );
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      socket.end();
      resolve(chunk.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/** Starts Redis in `scratch` with append-only persistence (`fsync`: everysec or always). */
export async function startRedisServer(
  scratch: string,
  options: { fsync?: 'everysec' | 'always'; log?: (line: string) => void } = {},
): Promise<BenchRedis> {
  ensureRedisServer(options.log);
  const dir = mkdtempSync(join(scratch, 'redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      options.fsync ?? 'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (!(await ping(port))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    pid: child.pid!,
    cpuMs: () => treeCpuMs(child.pid!),
    async stop() {
      await stopChild(child, 'SIGTERM', 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
