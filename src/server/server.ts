/**
 * The Andon HTTP server: the home page, the clock stream at `/time`, and the
 * pages' assets. Every refusal says why; nothing a client sends can stop it
 * serving the others.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startClock } from '../sources/clock.js';
import { refuse } from '../sse/response.js';
import { createStream, type Stream } from '../sse/stream.js';
import { StaticFiles } from './static.js';

/** Everything `andon serve` is configured with, validated (see `cli/settings.ts`). */
export interface ServerSettings {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Address to listen on. */
  readonly host: string;
  /** Milliseconds between clock events on `/time`. */
  readonly timeInterval: number;
  /** The store kind; `memory` is the one this build has. */
  readonly store: 'memory';
  /** Heartbeat interval in ms (0 disables). */
  readonly heartbeat: number;
  /** Reconnection delay sent to clients, in ms. */
  readonly retry: number;
  /** Events of the clock stream kept for replay. */
  readonly replay: number;
}

/** How long shutdown waits for clients to take their streams' end before cutting them. */
export const SHUTDOWN_GRACE_MS = 2000;

/** A running server. */
export interface AndonServer {
  /** The underlying node:http server. */
  readonly http: Server;
  /** The clock stream served at `/time`. */
  readonly time: Stream;
  /** The base URL it listens on, once listening. */
  url(): string;
  /** Starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, ends every stream with a jittered retry, and closes. */
  close(): Promise<void>;
}

/** Builds the server (not yet listening). */
export function createAndonServer(settings: ServerSettings): AndonServer {
  const time = createStream({
    replay: settings.replay,
    heartbeat: settings.heartbeat,
    retry: settings.retry,
    // A slow page only ever needs the latest time.
    conflate: true,
  });
  const pages = new StaticFiles({
    '/': 'index.html',
    '/assets/home.js': 'home.js',
    '/assets/andon.css': 'andon.css',
    '/favicon.svg': 'favicon.svg',
  });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/time') {
      time.serve(req, res);
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      if (!pages.serve(path, req, res)) {
        refuse(res, 404, `Nothing is served at ${path}; try / or /time.`);
      }
    } else {
      refuse(res, 405, `Method ${req.method} is not allowed on ${path}.`, { Allow: 'GET, HEAD' });
    }
  };

  const http = createServer(handle);
  let stopClock: (() => void) | undefined;

  return {
    http,
    time,
    url() {
      const address = http.address() as AddressInfo | null;
      if (address === null) throw new Error('The server is not listening.');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}`;
    },
    listen() {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(settings.port, settings.host, () => {
          http.off('error', reject);
          stopClock = startClock(time, { interval: settings.timeInterval });
          resolve(this.url());
        });
      });
    },
    async close() {
      stopClock?.();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await time.close();
      http.closeIdleConnections();
      const grace = setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}
