/**
 * The Andon HTTP server: the Mercure hub at `/.well-known/mercure`, the
 * clock stream at `/time`, the home page and the hub's debug page,
 * `/metrics` and `/healthz`. Every refusal says why; nothing a client sends
 * can stop it serving the others.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { parseBoards, withBoards } from '../boards/config.js';
import { demoBoard } from '../boards/demo.js';
import { createBoardRoutes } from '../boards/routes.js';
import type { ServeConfig } from '../cli/settings.js';
import { createHub, HUB_PATH, type Hub } from '../mercure/hub.js';
import { startClock } from '../sources/clock.js';
import { createSources } from '../sources/config.js';
import type { Source } from '../sources/source.js';
import { refuse } from '../sse/response.js';
import { createStream, STREAM_DEFAULTS, type Stream } from '../sse/stream.js';
import { createMemoryStore } from '../store/memory.js';
import { createRedisStore } from '../store/redis.js';
import { createSqliteStore } from '../store/sqlite.js';
import { hasHealth, type Store } from '../store/store.js';
import { answerClientError } from './client-error.js';
import { createLogger } from './logger.js';
import { createMetrics, type HubMetrics, watchStoreHealth } from './metrics.js';
import { createObserver } from './observer.js';
import { COMPILED_WEB_ROOT, StaticFiles } from './static.js';

/**
 * Opens the store `config` names: memory, a SQLite file with its durability
 * and retention, or Redis with its retention. `logger` hears of a Redis outage.
 */
export function openStore(config: ServeConfig, logger?: Logger): Store {
  if (config.store.kind === 'redis') {
    return createRedisStore({
      url: config.store.url,
      prefix: config.redisPrefix,
      replicas: config.redisReplicas,
      retention: { maxEvents: config.retentionEvents, maxAgeMs: config.retentionAge },
      maxRetainedTopics: config.retainedTopics,
      log: (level, message) => logger?.[level](message),
    });
  }
  if (config.store.kind === 'sqlite') {
    return createSqliteStore({
      path: config.store.path,
      durability: config.durability,
      retention: { maxEvents: config.retentionEvents, maxAgeMs: config.retentionAge },
      maxRetainedTopics: config.retainedTopics,
      maxSizeBytes: config.storeMaxSize,
    });
  }
  return createMemoryStore({
    capacity: config.retentionEvents,
    maxAgeMs: config.retentionAge,
    maxRetainedTopics: config.retainedTopics,
  });
}

/** How long shutdown waits for clients to take their streams' end before cutting them. */
export const SHUTDOWN_GRACE_MS = 2000;

/** The time endpoint: `{"now": <ms since the epoch>}`, for pages' clock-offset estimates. */
export const NOW_PATH = '/now';

/**
 * Connections the kernel may queue before the server accepts them. Node's
 * default (511) overflows when thousands of screens reconnect at once after a
 * restart, and the kernel then resets them; Linux caps it at somaxconn (4096).
 */
export const LISTEN_BACKLOG = 4096;

/** The discovery header on the hub's own pages (draft-07 "Discovery"). */
export const HUB_LINK = `<${HUB_PATH}>; rel="mercure"`;

/** A running server. */
export interface AndonServer {
  /** The underlying node:http server. */
  readonly http: Server;
  /** The clock stream served at `/time`. */
  readonly time: Stream;
  /** The Mercure hub. */
  readonly hub: Hub;
  /** Its metrics. */
  readonly metrics: HubMetrics;
  /** Its logger. */
  readonly logger: Logger;
  /** Publishers inside the hub (the demo hall, SQL sources), started by `listen`. */
  readonly sources: readonly Source[];
  /** The base URL it listens on, once listening. */
  url(): string;
  /** Starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, ends every stream with a jittered retry, and closes. */
  close(): Promise<void>;
}

/** How a server runs beyond its settings: as one worker of `andon serve --workers`. */
export interface ServerOptions {
  /**
   * The store to serve from; the server closes it on close. Default: the one
   * `config` names, opened by {@link openStore}.
   */
  readonly store?: Store;
  /**
   * The sources, started by `listen` and stopped by `close`. Default: those
   * `config` names. A worker gets stand-ins reporting the health of the
   * primary's sources (the primary runs them, once for every worker).
   */
  readonly sources?: readonly Source[];
  /** This process's node:cluster worker id: sent as `X-Andon-Worker`, shown by `/healthz`. */
  readonly worker?: number;
}

/** The response header naming the worker that answered, under `andon serve --workers`. */
export const WORKER_HEADER = 'X-Andon-Worker';

/** The base URL of a listening address, `localhost` for the wildcard addresses. */
export function baseUrl(address: { address: string; port: number }): string {
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}`;
}

/** Builds the server (not yet listening). Throws `ANDON_INVALID_SETTING` for a bad key. */
export function createAndonServer(
  config: ServeConfig,
  logger: Logger = createLogger(config.logLevel),
  options: ServerOptions = {},
): AndonServer {
  const metrics = createMetrics();
  const observer = createObserver(logger, metrics);
  // Validated before the store opens: a bad source entry stops the start with nothing to undo.
  const sources = options.sources ?? createSources(config, logger);
  // Boards too: a mistake in one names the board and the field before anything starts.
  const boards = withBoards(
    parseBoards(config.boards, config.configFile ?? 'the config file'),
    config.demo ? [demoBoard()] : [],
  );
  const store = options.store ?? openStore(config, logger);
  watchStoreHealth(store, metrics);
  const worker = options.worker === undefined ? undefined : String(options.worker);
  const engineSettings = {
    heartbeat: config.heartbeat,
    retry: config.retry,
    closeJitter: STREAM_DEFAULTS.closeJitter,
    maxQueue: STREAM_DEFAULTS.maxQueue,
    maxQueueBytes: STREAM_DEFAULTS.maxQueueBytes,
    conflate: false,
    replayPageSize: STREAM_DEFAULTS.replayPageSize,
  };
  const hub = createHub({
    store,
    observer,
    settings: {
      anonymous: config.anonymous,
      subscriptions: config.subscriptions,
      publisherKey: config.publisherKey,
      subscriberKey: config.subscriberKey,
      cookieName: config.cookieName,
      publishOrigins: config.publishOrigins,
      cors:
        config.corsOrigins === undefined
          ? undefined
          : {
              origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
              credentials: true,
            },
      maxBodyBytes: config.maxBody,
      maxSelectors: config.maxSelectors,
      maxSubscribers: config.maxSubscribers,
      publishRate: config.publishRate,
    },
    engine: engineSettings,
  });
  const boardRoutes = createBoardRoutes({
    boards,
    store,
    engine: engineSettings,
    anonymous: config.anonymous,
    maxSubscribers: config.maxSubscribers,
    observer: { error: (error) => observer.error?.(error) },
  });
  if (boards.length > 0 && !config.anonymous) {
    logger.warn(
      `boards ${boards.map((b) => b.name).join(', ')} answer 403: they are public pages and this hub refuses anonymous subscribers; start it with --anonymous to show them`,
    );
  }
  const time = createStream({
    replay: 1000,
    heartbeat: config.heartbeat,
    retry: config.retry,
    // A slow page only ever needs the latest time.
    conflate: true,
  });
  const pages = new StaticFiles({
    '/': 'index.html',
    '/assets/home.js': 'home.js',
    '/assets/andon.css': 'andon.css',
    '/assets/board.css': 'board.css',
    '/favicon.svg': 'favicon.svg',
    [`${HUB_PATH}/ui/`]: 'ui/index.html',
    [`${HUB_PATH}/ui/ui.js`]: 'ui/ui.js',
  }).addDirectory(COMPILED_WEB_ROOT, '/assets/');
  const started = Date.now();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    // Per-worker state (subscribers, /metrics) needs to say whose it is.
    if (worker !== undefined) res.setHeader(WORKER_HEADER, worker);
    if (path === '/time') {
      time.serve(req, res);
      return;
    }
    if (hub.handle(req, res, path, query)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(res, 405, `Method ${req.method} is not allowed on ${path}.`, { Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          observer.error?.(error);
          refuse(res, 500, 'Metrics could not be collected; see the logs.');
        },
      );
      return;
    }
    if (path === NOW_PATH) {
      // The page's clock estimates its offset from this: keep it tiny and uncached.
      const body = `{"now":${Date.now()}}`;
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'Content-Length': String(body.length),
      });
      res.end(body);
      return;
    }
    if (path === '/healthz') {
      const health = hasHealth(store) ? store.health() : { ok: true, detail: 'memory' };
      const body = JSON.stringify({
        status: health.ok ? 'ok' : 'degraded',
        uptime: Math.round((Date.now() - started) / 1000),
        pid: process.pid,
        // Under --workers, the figures below are this worker's: each holds its own subscribers.
        ...(options.worker === undefined ? {} : { worker: options.worker }),
        subscribers: hub.engine.size,
        store: { kind: config.store.kind, ok: health.ok, detail: health.detail },
        // A source whose database is away shows here, but the hub still serves: the status stays 200.
        sources: Object.fromEntries(sources.map((source) => [source.name, source.health()])),
      });
      // Not ready while the store cannot take publishes: a load balancer should send them elsewhere.
      res.writeHead(health.ok ? 200 : 503, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
      });
      res.end(body);
      return;
    }
    if (path === `${HUB_PATH}/ui`) {
      res.writeHead(301, { Location: `${HUB_PATH}/ui/` });
      res.end();
      return;
    }
    res.setHeader('Link', HUB_LINK);
    if (boardRoutes.handle(req, res, path, query)) return;
    if (!pages.serve(path, req, res)) {
      refuse(res, 404, `Nothing is served at ${path}; try /, /time or ${HUB_PATH}.`);
    }
  };

  const http = createServer(handle);
  http.on('clientError', answerClientError);
  let stopClock: (() => void) | undefined;

  return {
    http,
    time,
    hub,
    metrics,
    logger,
    sources,
    url() {
      const address = http.address() as AddressInfo | null;
      if (address === null) throw new Error('The server is not listening.');
      return baseUrl(address);
    },
    listen() {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
          http.off('error', reject);
          stopClock = startClock(time, { interval: config.timeInterval });
          for (const source of sources) source.start(hub.publish);
          resolve(this.url());
        });
      });
    },
    async close() {
      stopClock?.();
      // Sources stop first: nothing may publish into a closing store.
      await Promise.all(sources.map((source) => source.stop()));
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.all([time.close(), hub.close(), boardRoutes.close()]);
      http.closeIdleConnections();
      const grace = setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
      await store.close();
    },
  };
}
