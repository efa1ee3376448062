/**
 * What the hub's handlers share: settings, the store and engine, verifiers,
 * caches and the observer that turns what happens into logs and metrics.
 */
import type { IncomingMessage } from 'node:http';
import type { Engine, EngineObserver } from '../engine/engine.js';
import type { StoredEvent } from '../engine/event.js';
import type { AndonError } from '../errors.js';
import type { CorsOptions, CorsPolicy } from '../sse/cors.js';
import type { Store } from '../store/store.js';
import type { KeyConfig, Verifier } from './auth.js';
import type { ExpiryWheel } from './expiry.js';
import type { RateLimiter } from './rate-limit.js';
import type { ActiveSubscriptions } from './subscriptions.js';
import type { SelectorCache } from './topic-selector.js';

/** Hub settings, validated; `andon serve` fills them from flags, environment and config. */
export interface HubSettings {
  /** Accept subscribers without a token (they receive public updates only). Default false. */
  readonly anonymous: boolean;
  /** Publish subscription events and serve the subscriptions API. Default false. */
  readonly subscriptions: boolean;
  /** Key that verifies publishers' tokens. */
  readonly publisherKey: KeyConfig | undefined;
  /** Key that verifies subscribers' tokens. */
  readonly subscriberKey: KeyConfig | undefined;
  /** Name of the cookie that may carry a token. Default `mercureAuthorization`. */
  readonly cookieName: string;
  /** Origins allowed to publish with a cookie-borne token (CSRF protection). Default none. */
  readonly publishOrigins: readonly string[];
  /** Cross-origin access to the hub (subscribe and publish). Default none. */
  readonly cors: CorsOptions | undefined;
  /** Largest publish body in bytes (413 past it). */
  readonly maxBodyBytes: number;
  /** Most `topic` selectors in one subscription (400 past it). */
  readonly maxSelectors: number;
  /** Most concurrent subscribers (503 with Retry-After past it). */
  readonly maxSubscribers: number;
  /** Publishes per second per token (429 past it); 0 turns the limit off. */
  readonly publishRate: number;
}

/** Hooks for logs and metrics. Every hook is optional and must not throw. */
export interface HubObserver extends EngineObserver {
  /** An update was stored and will be dispatched. */
  published?(event: StoredEvent): void;
  /** A request was refused; `error` carries the code, status and message sent. */
  refused?(req: IncomingMessage, error: AndonError): void;
  /** A subscription opened. */
  opened?(info: SubscriptionLog): void;
  /** A subscription closed (client gone, token expired, or hub closing). */
  closed?(info: SubscriptionLog, reason: 'disconnected' | 'expired' | 'dropped' | 'closed'): void;
}

/** What the logs say about a subscription. */
export interface SubscriptionLog {
  readonly subscriber: string;
  readonly topics: readonly string[];
  readonly lastEventId: string | undefined;
  readonly remote: string | undefined;
}

/** Everything the handlers need. */
export interface HubContext {
  readonly settings: HubSettings;
  readonly store: Store;
  readonly engine: Engine;
  readonly publishers: Verifier;
  readonly subscribers: Verifier;
  readonly selectors: SelectorCache;
  readonly expiry: ExpiryWheel<() => void>;
  readonly rateLimiter: RateLimiter | undefined;
  readonly activeSubscriptions: ActiveSubscriptions | undefined;
  readonly cors: CorsPolicy | undefined;
  readonly observer: HubObserver;
}
