/**
 * The native peer: nginx with the nchan module (Debian's `nginx-light` and
 * `libnginx-mod-nchan`, installed here when missing, as the tests install
 * PostgreSQL). Each start writes a config into a fresh temp directory and
 * runs nginx in the foreground on a free loopback port:
 *
 * - `GET /sub`: nchan subscriber in EventSource mode on one channel;
 * - `POST /pub`: nchan publisher (the body is the message data).
 *
 * One worker process by default (`nchan`), two for `nchan-2w`. nchan keeps
 * messages in shared memory, so the RSS reported sums master and workers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackages } from '../../test/helpers/debian-packages.js';
import { httpPoster } from './http-post.js';
import { stopChild } from './node-peers.js';
import { definePeer, freePort, type Peer, waitForHttp } from './peer.js';

const NGINX = '/usr/sbin/nginx';
const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
/** nginx starts in milliseconds. */
const START_TIMEOUT_MS = 10_000;
/** Open files per worker: the process limit here is 20,000 (hard). */
const WORKER_FILES = 20_000;
/** Connections per worker: every subscriber of a run fits in one worker. */
const WORKER_CONNECTIONS = 19_000;

/** Installs nginx-light and libnginx-mod-nchan when missing; throws with apt's words if that fails. */
export function ensureNchan(log: (line: string) => void = () => {}): void {
  if (existsSync(NGINX) && existsSync(NCHAN_MODULE)) return;
  log('installing nginx-light and libnginx-mod-nchan (apt-get) for the nchan peer');
  ensurePackages({
    packages: ['nginx-light', 'libnginx-mod-nchan'],
    installed: () => existsSync(NGINX) && existsSync(NCHAN_MODULE),
    neededBy: 'The nchan peer needs',
    rerun: 'run the benchmark again',
  });
}

function config(dir: string, port: number, workers: number): string {
  const asRoot = process.getuid?.() === 0;
  return `# Written by bench/peers/nchan.ts for one benchmark run.
load_module ${NCHAN_MODULE};
${asRoot ? 'user root;' : ''}
worker_processes ${workers};
worker_rlimit_nofile ${WORKER_FILES};
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events {
  worker_connections ${WORKER_CONNECTIONS};
  use epoll;
  multi_accept on;
}
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /sub {
      nchan_subscriber eventsource;
      nchan_channel_id bench;
    }
    location = /pub {
      nchan_publisher http;
      nchan_channel_id bench;
      nchan_message_buffer_length 100;
      nchan_message_timeout 30s;
    }
    location = /health {
      return 200 'ok';
    }
  }
}
`;
}

/** Starts nginx + nchan with `workers` worker processes. */
export async function startNchan(
  workers = 1,
  log: (line: string) => void = () => {},
): Promise<Peer> {
  ensureNchan(log);
  const dir = mkdtempSync(join(tmpdir(), 'andon-bench-nchan-'));
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config(dir, port, workers));
  const child = spawn(NGINX, ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`, START_TIMEOUT_MS, () => !exited);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const poster = httpPoster(url);
  const headers = { 'Content-Type': 'text/plain' };
  const name = workers === 1 ? 'nchan' : `nchan-${workers}w`;
  return definePeer({
    name,
    description: `nginx ${nginxVersion()} + nchan, ${workers} worker${workers === 1 ? '' : 's'}, EventSource subscribers, HTTP POST publisher`,
    url,
    subscribePath: '/sub',
    pid: child.pid!,
    publishOne: (data) => poster.post('/pub', data, headers),
    async stop() {
      poster.close();
      // SIGTERM is nginx's fast shutdown: connections are closed at once.
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

function nginxVersion(): string {
  const out = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return /nginx\/([\d.]+)/.exec(`${out.stderr}${out.stdout}`)?.[1] ?? '';
}
