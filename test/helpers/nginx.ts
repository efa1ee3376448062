/**
 * A throwaway nginx for tests: Debian's `nginx-light` (installed here when
 * missing, as `.ci/run` does beforehand), run in the foreground as a child
 * process with its own prefix, pid file, logs and temporary folders in a
 * fresh directory, on a free loopback port. The site configuration (what
 * goes inside nginx's `http` block) is the test's; the main file around it
 * only makes nginx run unprivileged in a temporary folder. Every nginx
 * started here is stopped and its folder deleted after the test file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort } from './andon-process.js';
import { ensurePackages } from './debian-packages.js';

const NGINX = '/usr/sbin/nginx';
/** nginx starts in milliseconds; a slow CI gets far more. */
const START_TIMEOUT_MS = 10_000;

/** A running nginx. */
export interface TestNginx {
  /** The loopback port its site listens on. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its error log so far. */
  errorLog(): string;
  /** Stops it (SIGTERM, nginx's fast shutdown) and deletes its folder. */
  stop(): Promise<void>;
}

/** The path of nginx, installing Debian's `nginx-light` first when it is missing. */
export function ensureNginx(): string {
  ensurePackages({
    packages: ['nginx-light'],
    installed: () => existsSync(NGINX),
    neededBy: 'The deployment tests need',
  });
  return NGINX;
}

const running = new Set<ChildProcess>();
const folders = new Set<string>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
});

/** The main configuration around the site: foreground, one worker, everything in `dir`. */
function mainConfig(dir: string, site: string): string {
  // As root, nginx's workers would switch to "nobody", who cannot use the private folder.
  const asRoot = process.getuid?.() === 0;
  return `# Written by test/helpers/nginx.ts for one test file.
${asRoot ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events {
  worker_connections 1024;
}
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include ${site};
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts nginx with the site `site(port)` returns (the content of an `http`
 * block, listening on 127.0.0.1:`port`); resolves once it accepts connections.
 * Rejects with nginx's own words if it exits first (a configuration error).
 */
export async function startNginx(site: (port: number) => string): Promise<TestNginx> {
  const binary = ensureNginx();
  const dir = mkdtempSync(join(tmpdir(), 'andon-nginx-'));
  folders.add(dir);
  const port = await freePort();
  const sitePath = join(dir, 'site.conf');
  const mainPath = join(dir, 'nginx.conf');
  const errorPath = join(dir, 'error.log');
  writeFileSync(sitePath, site(port));
  writeFileSync(mainPath, mainConfig(dir, sitePath));
  const errorLog = () => (existsSync(errorPath) ? readFileSync(errorPath, 'utf8') : '');

  let output = '';
  const child = spawn(binary, ['-p', dir, '-c', mainPath, '-e', errorPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nginx exited at start:\n${output}${errorLog()}`.slice(-4000));
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen on port ${port}:\n${output}${errorLog()}`);
    }
    // Polling a port another process opens: there is no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    errorLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      folders.delete(dir);
    },
  };
}
