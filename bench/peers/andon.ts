/**
 * Andon as a peer: `node bin/andon.js serve` as users run it (built first
 * when `src/` is newer than `dist/`), measured through the full hub path:
 * subscribers open `/.well-known/mercure?topic=<selector>` anonymously, and
 * events are published with `POST /.well-known/mercure` and a signed token.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { signToken } from '../../src/mercure/auth.js';
import { REPO_ROOT } from '../lib/scratch.js';
import { httpPoster } from './http-post.js';
import { stopChild } from './node-peers.js';
import { definePeer, freePort, type Peer, waitForHttp } from './peer.js';

export type { Peer } from './peer.js';

/** The topic every benchmark event is published to. */
export const BENCH_TOPIC = 'https://example.com/bench/ticks';
const HUB_PATH = '/.well-known/mercure';
const BUILT_MAIN = join(REPO_ROOT, 'dist/cli/main.js');
/** Shared with the tests' build (test/helpers/andon-process.ts), so two builds never overlap. */
const BUILD_LOCK = join(REPO_ROOT, 'node_modules/.cache/andon-test-build.lock');
const BUILD_TIMEOUT_MS = 3 * 60_000;
/** Startup takes ~0.3 s, more with several workers. */
const START_TIMEOUT_MS = 20_000;
/** A hub still closing its streams this long after SIGTERM is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** Options of {@link startAndon}. */
export interface AndonPeerOptions {
  /** Name in the tables. Default `andon`. */
  readonly name?: string;
  /** `--store`. Default `memory`. */
  readonly store?: string;
  /** More `andon serve` flags, e.g. `['--workers', '2']`. */
  readonly args?: readonly string[];
  /** Node flags, e.g. `['--cpu-prof', '--cpu-prof-dir', dir]`. */
  readonly nodeArgs?: readonly string[];
  /**
   * The subscription's topic selector. Default {@link BENCH_TOPIC} (an exact
   * topic); events are always published to {@link BENCH_TOPIC}.
   */
  readonly selector?: string;
  /**
   * The andon command to run, e.g. another checkout's `bin/andon.js` to compare
   * builds. Default: this repository's, built first when stale.
   */
  readonly bin?: string;
  /** Where progress lines go (the build). */
  readonly log?: (line: string) => void;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds (`npm run build`) when `dist/` is missing or older than `src/`. When
 * the build fails but an older `dist/` exists, says so and goes on with it
 * (another change may be half done); returns a warning to print, if any.
 */
export function ensureBuilt(log: (line: string) => void = () => {}): string | undefined {
  const stale =
    !existsSync(BUILT_MAIN) || newestMtime(join(REPO_ROOT, 'src')) > statSync(BUILT_MAIN).mtimeMs;
  if (!stale) return undefined;
  mkdirSync(join(REPO_ROOT, 'node_modules/.cache'), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${BUILD_LOCK}.`);
      // Another process builds: wait for its lock to go (a synchronous poll; this runs once).
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    log('building Andon (npm run build): src/ is newer than dist/');
    const result = spawnSync('npm', ['run', 'build'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
    });
    if (result.status === 0) return undefined;
    const output = `${result.stdout}${result.stderr}`.slice(-2000);
    if (!existsSync(BUILT_MAIN)) throw new Error(`npm run build failed:\n${output}`);
    return `npm run build failed, so Andon ran from an older dist/: ${output.split('\n').find((l) => l.includes('error')) ?? 'see the build output'}`;
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** Starts `andon serve` on a free loopback port with a memory store (by default). */
export async function startAndon(options: AndonPeerOptions = {}): Promise<Peer> {
  if (options.bin === undefined) {
    const warning = ensureBuilt(options.log);
    if (warning !== undefined) options.log?.(`warning: ${warning}`);
  }
  const key = randomBytes(32).toString('hex');
  const port = await freePort();
  const store = options.store ?? 'memory';
  const argv = [
    ...(options.nodeArgs ?? []),
    options.bin ?? 'bin/andon.js',
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--store',
    store,
    '--anonymous',
    '--jwt-key',
    key,
    '--log-level',
    'warn',
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, START_TIMEOUT_MS, () => !exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const token = await signToken({ key, publish: ['*'] });
  const poster = httpPoster(url);
  const headers = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Authorization: `Bearer ${token}`,
  };
  const topic = `topic=${encodeURIComponent(BENCH_TOPIC)}&data=`;
  const extra = options.args?.length ? ` ${options.args.join(' ')}` : '';
  return definePeer({
    name: options.name ?? 'andon',
    description: `andon serve --store ${store}${extra}: Mercure subscribe with a topic selector, publish over HTTP POST with a JWT`,
    url,
    subscribePath: `${HUB_PATH}?topic=${encodeURIComponent(options.selector ?? BENCH_TOPIC)}`,
    pid: child.pid!,
    publishOne: (data) => poster.post(HUB_PATH, topic + encodeURIComponent(data), headers),
    async stop() {
      poster.close();
      await stopChild(child, 'SIGTERM', STOP_TIMEOUT_MS);
    },
  });
}
