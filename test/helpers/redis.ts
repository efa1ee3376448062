/**
 * A throwaway Redis server for tests: Debian's `redis-server` (installed
 * here when missing, as `.ci/run` does beforehand), run as a child process
 * on a free loopback port with its files in a temporary folder, persistence
 * on (`appendonly yes`, so a killed server comes back with what it
 * acknowledged). It can be killed (SIGKILL, as in a crash) and started again
 * on the same port and data, and is always stopped and deleted after the
 * test file (the `afterAll` below), whatever the test did.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort } from './andon-process.js';
import { ensurePackages } from './debian-packages.js';

const REDIS_SERVER = '/usr/bin/redis-server';
/** Redis starts in milliseconds; a slow CI gets far more. */
const START_TIMEOUT_MS = 20_000;

/** A running (or stopped) test Redis. */
export interface TestRedis {
  /** The loopback port it listens on, kept across kill and start. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>/<db>`. */
  url(db?: number): string;
  /** Kills it with SIGKILL (a crash): connections drop, nothing is flushed beyond what Redis wrote. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Sends one command (inline protocol) and resolves with the raw reply. */
  command(line: string): Promise<string>;
  /** Stops it (if running) and deletes its folder. */
  destroy(): Promise<void>;
}

/** The path of `redis-server`, installing Debian's `redis-server` first when it is missing. */
export function ensureRedis(): string {
  ensurePackages({
    packages: ['redis-server'],
    installed: () => existsSync(REDIS_SERVER),
    neededBy: 'The Redis tests need',
  });
  return REDIS_SERVER;
}

const running = new Set<ChildProcess>();
const folders = new Set<string>();

// And if the test worker itself goes away first, take the servers with it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
});

/** Sends one inline command to 127.0.0.1:port; resolves with the first reply chunk. */
function send(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no reply from Redis to ${line}`)));
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Starts it as a replica of the Redis on this loopback port. */
  readonly replicaOf?: number;
}

/** Starts a Redis on a free loopback port, with append-only persistence in a temporary folder. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const binary = ensureRedis();
  const dir = mkdtempSync(join(tmpdir(), 'andon-redis-'));
  folders.add(dir);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const start = async (): Promise<void> => {
    log = '';
    const process_ = spawn(
      binary,
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
        'everysec',
        '--save',
        '',
        '--protected-mode',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
        ...(options.replicaOf === undefined
          ? []
          : ['--replicaof', '127.0.0.1', String(options.replicaOf)]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = process_;
    running.add(process_);
    process_.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    process_.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    process_.on('exit', () => running.delete(process_));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (process_.exitCode !== null) {
        throw new Error(
          `redis-server exited (${process_.exitCode}) at start:\n${log.slice(-4000)}`,
        );
      }
      try {
        if ((await send(port, 'PING')).startsWith('+PONG')) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new Error(`redis-server did not answer on port ${port}:\n${log.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const kill = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current === undefined || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    kill,
    start,
    command: (line) => send(port, line),
    destroy: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
      folders.delete(dir);
    },
  };
}

/** A running Redis Sentinel. */
export interface TestSentinel {
  readonly port: number;
  /** Sends one command (inline protocol) and resolves with the raw reply. */
  command(line: string): Promise<string>;
  destroy(): Promise<void>;
}

/**
 * Starts a Sentinel (redis-server --sentinel) on a free loopback port that
 * monitors the primary on `primaryPort` as group `name`, alone (quorum 1),
 * declaring it down after `downAfterMs` of silence and failing over then.
 */
export async function startSentinel(
  primaryPort: number,
  name: string,
  downAfterMs = 1_000,
): Promise<TestSentinel> {
  const binary = ensureRedis();
  const dir = mkdtempSync(join(tmpdir(), 'andon-sentinel-'));
  folders.add(dir);
  const port = await freePort();
  // Sentinel rewrites its configuration file: it must be its own, writable.
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} 5000`,
      '',
    ].join('\n'),
  );
  const child = spawn(binary, [conf, '--sentinel', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.on('exit', () => running.delete(child));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await send(port, 'PING')).startsWith('+PONG')) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis sentinel did not start on port ${port}:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    port,
    command: (line) => send(port, line),
    destroy: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
      folders.delete(dir);
    },
  };
}
