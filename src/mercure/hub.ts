/**
 * The Mercure hub: routes `/.well-known/mercure` (subscribe, publish, CORS
 * preflight) and, when enabled, the subscriptions API, over one engine and
 * one store. It is mounted by the Andon server; it can be mounted in any
 * node:http server too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Engine, type EngineSettings } from '../engine/engine.js';
import { AndonError } from '../errors.js';
import { compileCors } from '../sse/cors.js';
import type { Store } from '../store/store.js';
import { cachedVerifier } from './auth/cache.js';
import { createVerifier } from './auth.js';
import type { HubContext, HubObserver, HubSettings } from './context.js';
import { ExpiryWheel } from './expiry.js';
import { type LocalUpdate, publishLocal } from './local-publish.js';
import { handlePublish } from './publish.js';
import { RateLimiter } from './rate-limit.js';
import { sendRefusal } from './refusal.js';
import { handleSubscribe } from './subscribe.js';
import { ActiveSubscriptions, SUBSCRIPTIONS_PATH } from './subscriptions.js';
import { SelectorCache } from './topic-selector.js';

/** The hub's URL path, fixed by the protocol. */
export const HUB_PATH = '/.well-known/mercure';

/** An update published from inside the process (defined with {@link publishLocal}). */
export type { LocalUpdate } from './local-publish.js';

/** What {@link createHub} needs. */
export interface HubOptions {
  /** Where updates are ordered and kept. */
  readonly store: Store;
  /** Protocol settings. */
  readonly settings: HubSettings;
  /** Delivery settings of the engine (heartbeat, retry, queues). */
  readonly engine: Omit<EngineSettings, 'observer'>;
  /** Hooks for logs and metrics. */
  readonly observer?: HubObserver;
}

/** A running hub. */
export interface Hub {
  /** The engine delivering to subscribers. */
  readonly engine: Engine;
  /**
   * Publishes an update from inside the process (sources: the simulator, SQL
   * pollers), through the store like any HTTP publish. Resolves with its id
   * once stored; rejects (`ANDON_STORE_UNAVAILABLE`, `ANDON_INVALID_FIELD`) otherwise.
   */
  publish(update: LocalUpdate): Promise<string>;
  /** Handles `req` if its path belongs to the hub; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): boolean;
  /** Ends every subscription (jittered retry) and stops the hub's timers. The store stays open. */
  close(): Promise<void>;
}

/** Builds a hub over `options.store`. Throws `ANDON_INVALID_SETTING` for a bad key. */
export function createHub(options: HubOptions): Hub {
  const { settings, store } = options;
  const observer = options.observer ?? {};
  const engine = new Engine(store, { ...options.engine, observer });
  const context: HubContext = {
    settings,
    store,
    engine,
    // Tokens come back on every publish and reconnection: verify each once, then cache.
    publishers: cachedVerifier(
      createVerifier(
        settings.publisherKey,
        'publisher',
        '--publisher-jwt-key, --jwt-key, --publisher-jwks-url or MERCURE_PUBLISHER_JWT_KEY',
      ),
    ),
    subscribers: cachedVerifier(
      createVerifier(
        settings.subscriberKey,
        'subscriber',
        '--subscriber-jwt-key, --jwt-key, --subscriber-jwks-url or MERCURE_SUBSCRIBER_JWT_KEY',
      ),
    ),
    selectors: new SelectorCache(),
    expiry: new ExpiryWheel<() => void>((expire) => expire()),
    rateLimiter: settings.publishRate > 0 ? new RateLimiter(settings.publishRate) : undefined,
    activeSubscriptions: settings.subscriptions
      ? new ActiveSubscriptions(store, engine, observer)
      : undefined,
    cors:
      settings.cors === undefined
        ? undefined
        : compileCors({ ...settings.cors, allowHeaders: ['authorization', 'content-type'] }),
    observer,
  };

  const handle = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): boolean => {
    if (path === HUB_PATH) {
      switch (req.method) {
        case 'GET':
          void handleSubscribe(context, req, res, query);
          return true;
        case 'POST':
          void handlePublish(context, req, res, query);
          return true;
        case 'OPTIONS':
          res.writeHead(204, { Allow: 'GET, POST, OPTIONS', ...preflight(req) });
          res.end();
          return true;
        default:
          sendRefusal(
            req,
            res,
            new AndonError(
              'ANDON_METHOD_NOT_ALLOWED',
              `Method ${req.method} is not allowed here: subscribe with GET, publish with POST.`,
            ),
            observer,
            { Allow: 'GET, POST, OPTIONS' },
          );
          return true;
      }
    }
    if (path === SUBSCRIPTIONS_PATH || path.startsWith(`${SUBSCRIPTIONS_PATH}/`)) {
      if (context.activeSubscriptions === undefined) {
        sendRefusal(
          req,
          res,
          new AndonError(
            'ANDON_NOT_FOUND',
            'The subscriptions API is off; start the hub with --subscriptions.',
          ),
          observer,
        );
      } else {
        void context.activeSubscriptions.handle(context, req, res, path);
      }
      return true;
    }
    return false;
  };

  const preflight = (req: IncomingMessage): Record<string, string> => {
    const headers = context.cors?.preflightFor(req) ?? {};
    if (headers['Access-Control-Allow-Methods'] !== undefined) {
      headers['Access-Control-Allow-Methods'] = 'GET, POST';
    }
    return headers;
  };

  const publish = (update: LocalUpdate): Promise<string> =>
    publishLocal(store, update, (event) => observer.published?.(event));

  return {
    engine,
    publish,
    handle,
    async close() {
      context.expiry.close();
      await engine.close();
    },
  };
}
