/**
 * The Node.js peers: `raw-per-event`, `raw-coalesced` and `better-sse`, each
 * a `node-server.ts` process of its own, published to with `POST /publish`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { httpPoster } from './http-post.js';
import { definePeer, type Peer } from './peer.js';

const SERVER = fileURLToPath(new URL('./node-server.ts', import.meta.url));
/** Starting takes ~0.5 s (tsx compiles the server); past this something is wrong. */
const START_TIMEOUT_MS = 20_000;
/** A server that ignores SIGTERM this long is killed. */
const STOP_TIMEOUT_MS = 5_000;

/** The Node.js peers and the server mode behind each. */
export const NODE_PEERS = {
  'raw-per-event': {
    mode: 'per-event',
    description: 'node:http broadcaster, one write per event per socket',
  },
  'raw-coalesced': {
    mode: 'coalesced',
    description: 'node:http broadcaster, the events of one tick joined into one write per socket',
  },
  'better-sse': {
    mode: 'better-sse',
    description: 'better-sse channel broadcast (defaults: a keep-alive timer per session)',
  },
} as const;

export type NodePeerName = keyof typeof NODE_PEERS;

/** Sends `signal` and waits for `child` to exit, killing it after `timeoutMs`. */
export function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = STOP_TIMEOUT_MS,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts one Node.js peer. */
export async function startNodePeer(name: NodePeerName): Promise<Peer> {
  const { mode, description } = NODE_PEERS[name];
  const child = fork(SERVER, [mode], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited while starting (code ${code})`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const poster = httpPoster(url);
  const headers = { 'Content-Type': 'text/plain' };
  return definePeer({
    name,
    description,
    url,
    subscribePath: '/events',
    pid: child.pid!,
    publishOne: (data) => poster.post('/publish', data, headers),
    async stop() {
      poster.close();
      child.disconnect();
      await stopChild(child);
    },
  });
}
