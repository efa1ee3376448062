/**
 * Runs `andon serve` as a child process, the way users run it, for tests that
 * need a real process: killing it (even with SIGKILL) and starting it again
 * on the same port. Every child started here is killed after the test file
 * (see the `afterAll` below), whatever the test did.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** The repository root (this file is test/helpers/andon-process.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What `bin/andon.js` imports; without it the command cannot start. */
const BUILT_MAIN = join(REPO_ROOT, 'dist/cli/main.js');
/** Held while one test process builds, so parallel test files do not run tsc together. */
const BUILD_LOCK = join(REPO_ROOT, 'node_modules/.cache/andon-test-build.lock');
/** A lock older than this was left by a killed run and is taken over. */
const STALE_LOCK_MS = 3 * 60_000;
/** `npm run build` is a full tsc run; past this something is wrong. */
const BUILD_TIMEOUT_MS = 3 * 60_000;
/** How long to wait for the "serving on" line. Startup takes ~100 ms; CI can be slow. */
const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** Captured output kept per child, enough for any startup error or crash. */
const MAX_OUTPUT_CHARS = 64 * 1024;
const SERVING = /andon: serving on (http[^"\s]+)/;

/** How a child ended. */
export interface AndonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startAndon}. */
export interface AndonProcessOptions {
  /** Port to listen on. Default: a free port found with {@link freePort}. */
  readonly port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** More `andon serve` flags, e.g. `['--time-interval', '1ms', '--retry', '500ms']`. */
  readonly args?: readonly string[];
  /** Milliseconds to wait for the "serving on" line. Default 10 000. */
  readonly readyTimeoutMs?: number;
}

/** A running `andon serve`. */
export interface AndonProcess {
  readonly pid: number;
  readonly port: number;
  /** The base URL the server printed, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Settles when the child has exited; never rejects. */
  readonly exited: Promise<AndonExit>;
  /** Everything it printed so far (stdout and stderr interleaved, capped). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves when the child has exited. */
  kill(signal?: NodeJS.Signals): Promise<AndonExit>;
}

const running = new Set<ChildProcess>();

function killRunning(): void {
  for (const child of running) child.kill('SIGKILL');
}

// A failed assertion must not leave a server behind holding a port.
afterAll(async () => {
  const exits = [...running].map(
    (child) => new Promise<void>((done) => child.once('exit', () => done())),
  );
  killRunning();
  await Promise.all(exits);
});
// And if the worker itself goes away first, take the children with it.
process.once('exit', killRunning);

/** A port that was free a moment ago: listen on port 0, read it, close. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolvePort(port) : reject(new Error('No port assigned.'))));
    });
  });
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((done, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else {
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`,
          ),
        );
      }
    });
  });
}

async function takeLock(): Promise<void> {
  await mkdir(dirname(BUILD_LOCK), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(BUILD_LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(BUILD_LOCK).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${BUILD_LOCK}; remove it if no build is running.`);
      }
      // Polling a lock held by another process: there is no event to wait for.
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

let building: Promise<void> | undefined;

/**
 * Builds once (`npm run build`) if `dist/cli/main.js` is missing, so a lone
 * `npx vitest run FILE` works. `npm test` builds first and skips this. A
 * stale but present dist/ is not rebuilt: run `npm run build` after edits.
 */
export function ensureBuilt(): Promise<void> {
  if (existsSync(BUILT_MAIN)) return Promise.resolve();
  building ??= (async () => {
    await takeLock();
    try {
      // Another test process may have built while we waited for the lock.
      if (!existsSync(BUILT_MAIN)) await run('npm', ['run', 'build']);
    } finally {
      await rm(BUILD_LOCK, { recursive: true, force: true });
    }
  })();
  return building;
}

/**
 * Starts `node bin/andon.js serve --port P --host H ...args` and resolves
 * once it prints its "serving on" line. Rejects, with everything the child
 * printed, if it exits first or is not ready within the timeout.
 */
export async function startAndon(options: AndonProcessOptions = {}): Promise<AndonProcess> {
  await ensureBuilt();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const argv = ['bin/andon.js', 'serve', '--port', String(port), '--host', host];
  argv.push(...(options.args ?? []));
  const child = spawn(process.execPath, argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  const exited = new Promise<AndonExit>((done) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      done({ code, signal });
    });
  });
  const describe = () => `node ${argv.join(' ')} printed:\n${output || '(nothing)'}`;

  const url = await new Promise<string>((ready, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`andon serve was not ready within ${readyTimeoutMs} ms; ${describe()}`));
    }, readyTimeoutMs);
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
      const match = SERVING.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        ready(match[1]!);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Could not start andon serve: ${error.message}`));
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`andon serve exited (${signal ?? `code ${code}`}) before serving; ${describe()}`),
      );
    });
  });

  return {
    pid: child.pid!,
    port,
    url,
    exited,
    output: () => output,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
