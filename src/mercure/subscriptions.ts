/**
 * Active subscriptions (draft-07 "Active Subscriptions"): a private update
 * on `/.well-known/mercure/subscriptions/{topic}/{subscriber}` whenever a
 * subscription opens or closes, and the web API listing them in JSON-LD.
 * Subscription events travel through the store like any update, so every
 * process sharing the store sees them.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import { AndonError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { HubContext, HubObserver } from './context.js';
import { sendRefusal } from './refusal.js';
import { readToken } from './token-source.js';
import { matchesAny } from './topic-selector.js';
import { generateUpdateId } from './uuid.js';

/** Where the API lives and subscription events are published. */
export const SUBSCRIPTIONS_PATH = '/.well-known/mercure/subscriptions';
/** The JSON-LD context of every document. */
export const MERCURE_CONTEXT = 'https://mercure.rocks/';

/** One subscription as the API and the events show it. */
export interface SubscriptionDocument {
  readonly id: string;
  readonly type: 'Subscription';
  readonly topic: string;
  readonly subscriber: string;
  readonly active: boolean;
  readonly payload?: unknown;
}

/** RFC 6570 simple-string expansion: everything but unreserved characters is percent-encoded. */
export function expandValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The topic (and `id`) of the subscription of `subscriber` to `topic`. */
export function subscriptionTopic(topic: string, subscriber: string): string {
  return `${SUBSCRIPTIONS_PATH}/${expandValue(topic)}/${expandValue(subscriber)}`;
}

/** Tracks this process's subscriptions and publishes their events. */
export class ActiveSubscriptions {
  readonly #store: Store;
  readonly #engine: Engine;
  readonly #observer: HubObserver;
  readonly #bySubscriber = new Map<string, SubscriptionDocument[]>();

  constructor(store: Store, engine: Engine, observer: HubObserver) {
    this.#store = store;
    this.#engine = engine;
    this.#observer = observer;
  }

  /** Records a subscriber's subscriptions (one per selector) and publishes them as active. */
  add(subscriber: string, topics: readonly string[], payload: unknown): void {
    const documents = topics.map((topic) => this.#document(topic, subscriber, true, payload));
    this.#bySubscriber.set(subscriber, documents);
    this.#publish(documents);
  }

  /** Forgets a subscriber and publishes its subscriptions as inactive. */
  remove(subscriber: string): void {
    const documents = this.#bySubscriber.get(subscriber);
    if (documents === undefined) return;
    this.#bySubscriber.delete(subscriber);
    this.#publish(documents.map((d) => ({ ...d, active: false })));
  }

  /** Serves the subscriptions API (GET only, token required, JSON-LD). */
  async handle(
    context: HubContext,
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<void> {
    try {
      if (req.method !== 'GET') {
        throw new AndonError('ANDON_METHOD_NOT_ALLOWED', 'The subscriptions API answers GET only.');
      }
      const url = new URL(req.url ?? path, 'http://hub.invalid');
      const source = readToken(req, url.searchParams, context.settings.cookieName);
      if (source === undefined) {
        throw new AndonError(
          'ANDON_AUTH_NO_TOKEN',
          'The subscriptions API needs a token whose mercure.subscribe claim matches the requested URL.',
        );
      }
      const token = await context.subscribers.verify(source.token);
      const selectors = (token.mercure?.subscribe ?? []).map((s) => context.selectors.get(s));
      if (!matchesAny(selectors, [path])) {
        throw new AndonError(
          'ANDON_AUTH_TOPIC_FORBIDDEN',
          `The token's mercure.subscribe claim does not match ${path}.`,
        );
      }
      const [topic, subscriber, ...rest] = path
        .slice(SUBSCRIPTIONS_PATH.length + 1)
        .split('/')
        .filter((segment, i) => segment !== '' || i > 0)
        .map(decodeSegment);
      if (rest.length > 0) throw new AndonError('ANDON_NOT_FOUND', `Nothing is served at ${path}.`);
      const lastEventID = this.#engine.headId === '' ? 'earliest' : this.#engine.headId;
      let body: object;
      if (subscriber !== undefined && topic !== undefined) {
        const found = this.#bySubscriber.get(subscriber)?.find((d) => d.topic === topic);
        if (found === undefined) {
          throw new AndonError(
            'ANDON_NOT_FOUND',
            `No active subscription of ${subscriber} to ${topic}.`,
          );
        }
        body = { '@context': MERCURE_CONTEXT, ...found, lastEventID };
      } else {
        const all = [...this.#bySubscriber.values()].flat();
        body = {
          '@context': MERCURE_CONTEXT,
          id: path,
          type: 'Subscriptions',
          lastEventID,
          subscriptions: topic === undefined ? all : all.filter((d) => d.topic === topic),
        };
      }
      const json = JSON.stringify(body);
      res.writeHead(200, {
        'Content-Type': 'application/ld+json',
        'Content-Length': String(Buffer.byteLength(json)),
        'Cache-Control': 'must-revalidate',
        // Ids may hold quotes and Unicode, which an entity-tag (and a header) cannot: hash them.
        ETag: `"${createHash('sha256').update(lastEventID).digest('base64url').slice(0, 22)}"`,
        Link: '</.well-known/mercure>; rel="mercure"',
      });
      res.end(json);
    } catch (error) {
      sendRefusal(req, res, error, context.observer);
    }
  }

  #document(
    topic: string,
    subscriber: string,
    active: boolean,
    payload: unknown,
  ): SubscriptionDocument {
    const document = {
      id: subscriptionTopic(topic, subscriber),
      type: 'Subscription' as const,
      topic,
      subscriber,
      active,
    };
    return payload === undefined ? document : { ...document, payload };
  }

  #publish(documents: readonly SubscriptionDocument[]): void {
    const drafts = documents.map((d) => ({
      id: generateUpdateId(),
      data: JSON.stringify({ '@context': MERCURE_CONTEXT, ...d }),
      topics: [d.id],
      private: true,
    }));
    this.#store.append(drafts).catch((error: unknown) => this.#observer.error?.(error));
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AndonError(
      'ANDON_NOT_FOUND',
      `The path segment ${JSON.stringify(segment)} is not valid percent-encoding.`,
    );
  }
}
