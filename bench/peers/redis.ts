/**
 * A Redis server for the Redis benchmarks: Debian's `redis-server`
 * (installed here when missing, as the tests install it), run in the
 * foreground on a free loopback port with its files in the run's scratch
 * directory, with the persistence a production hub would use
 * (`appendonly yes`, `appendfsync everysec` unless told otherwise).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensurePackages } from '../../test/helpers/debian-packages.js';
import { stopChild } from './node-peers.js';
import { freePort, treeCpuMs } from './peer.js';

const REDIS_SERVER = '/usr/bin/redis-server';
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
  ensurePackages({
    packages: ['redis-server'],
    installed: () => existsSync(REDIS_SERVER),
    neededBy: 'The Redis benchmarks need',
    rerun: 'run the benchmark again',
  });
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
