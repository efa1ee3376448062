/**
 * `GET /.well-known/mercure?topic=...`: validate the selectors, authorize the
 * subscriber, resolve its Last-Event-ID, answer the stream head with the
 * `Last-Event-ID` response header the spec defines, then hand the connection
 * to the engine with a filter that applies both the selectors and, for
 * private updates, the token's `mercure.subscribe` claim. A subscription
 * whose selectors are all exact topics is handed over with those topics, so
 * the engine's topic index matches it and its filter checks the claim only.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StoredEvent } from '../engine/event.js';
import { EARLIEST } from '../engine/replay.js';
import { AndonError } from '../errors.js';
import { readLastEventId, writeStreamHead } from '../sse/response.js';
import type { VerifiedToken } from './auth.js';
import type { HubContext, SubscriptionLog } from './context.js';
import { sendRefusal } from './refusal.js';
import { readToken } from './token-source.js';
import { MAX_AMBIGUOUS_SELECTORS, matchesAny, type TopicMatcher } from './topic-selector.js';
import { checkTopic } from './update.js';

/**
 * Andon extension, off unless asked: `?retained=1` (or `true`) first sends
 * the latest update of every topic the subscription matches, then live
 * updates, with no gap and no duplicate; on reconnection a known
 * Last-Event-ID replays instead, and an unknown one falls back to it.
 */
export const RETAINED_PARAMETER = 'retained';

/**
 * Andon extension: `?heartbeat=MS` asks for a heartbeat comment after MS ms
 * of silence (at least {@link MIN_HEARTBEAT_MS}), so a screen notices within
 * seconds that it is cut off. Served by the hub's one heartbeat timer.
 */
export const HEARTBEAT_PARAMETER = 'heartbeat';
/** Shortest heartbeat a subscriber may ask for: the timer ticks once a second. */
export const MIN_HEARTBEAT_MS = 1000;

function requestedHeartbeat(query: URLSearchParams): number | undefined {
  const value = query.get(HEARTBEAT_PARAMETER);
  if (value === null) return undefined;
  const ms = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms >= MIN_HEARTBEAT_MS)) {
    throw invalid(
      `"heartbeat" must be a whole number of milliseconds of at least ${MIN_HEARTBEAT_MS}; got ${JSON.stringify(value)}.`,
    );
  }
  return ms;
}

function wantsRetained(query: URLSearchParams): boolean {
  const value = query.get(RETAINED_PARAMETER);
  return value !== null && value !== '0' && value !== 'false';
}

function invalid(message: string): AndonError {
  return new AndonError('ANDON_INVALID_SUBSCRIPTION', message);
}

/** Shared by every subscription without a `mercure.subscribe` claim. */
const NO_MATCHERS: readonly TopicMatcher[] = [];

/** A socket error ends in 'close', handled there; the listener only keeps it from throwing. */
function ignore(): void {}

/** Handles one subscribe request. Never throws: every failure becomes an answer. */
export async function handleSubscribe(
  context: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const { settings, engine, observer } = context;
  const cors = context.cors?.headersFor(req) ?? {};
  try {
    const topics = query.getAll('topic');
    if (topics.length === 0) {
      throw invalid('Subscribe with at least one "topic" query parameter: ?topic=<selector>.');
    }
    if (topics.length > settings.maxSelectors) {
      throw invalid(
        `This subscription has ${topics.length} topic selectors; the hub accepts at most ${settings.maxSelectors}.`,
      );
    }
    for (const topic of topics) checkTopic(topic, 'topic selector', invalid);
    const matchers = topics.map((topic) => context.selectors.get(topic));
    const heartbeat = requestedHeartbeat(query);
    const retained = wantsRetained(query);
    if (matchers.filter((m) => m.engine === 'automaton').length > MAX_AMBIGUOUS_SELECTORS) {
      throw invalid(
        `This subscription has more than ${MAX_AMBIGUOUS_SELECTORS} ambiguous URI templates ` +
          '(templates whose variables can also match their separators, like {a}-{b}); use fewer, or simpler ones such as https://example.com/books/{id}.',
      );
    }

    const source = readToken(req, query, settings.cookieName);
    let token: VerifiedToken | undefined;
    if (source !== undefined) token = await context.subscribers.verify(source.token);
    else if (!settings.anonymous) {
      throw new AndonError(
        'ANDON_AUTH_NO_TOKEN',
        'This hub does not accept anonymous subscribers: send a token (Authorization header, ' +
          `"authorization" query parameter or "${settings.cookieName}" cookie) with a mercure.subscribe claim.`,
      );
    }
    const claim = token?.mercure?.subscribe;
    const entitled: readonly TopicMatcher[] =
      claim === undefined || claim.length === 0
        ? NO_MATCHERS
        : claim.map((selector) => context.selectors.get(selector));

    const lastEventId = readLastEventId(req);
    let after: number | undefined;
    let resumeFrom: string | undefined;
    if (lastEventId === EARLIEST) {
      after = 0;
      resumeFrom = EARLIEST;
    } else if (lastEventId !== undefined) {
      try {
        after = await context.store.resolve(lastEventId);
      } catch (error) {
        throw new AndonError(
          'ANDON_STORE_UNAVAILABLE',
          'The hub cannot read its history now; retry shortly.',
          {
            cause: error,
          },
        );
      }
      // An unknown id: the spec's answer is `earliest`; the stream also gets a reset notice.
      resumeFrom = after === undefined ? EARLIEST : lastEventId;
    }
    if (res.destroyed || req.socket.destroyed) return;
    // Checked after the last await, right before attaching: concurrent requests cannot overshoot.
    if (engine.size >= settings.maxSubscribers) {
      throw new AndonError(
        'ANDON_SUBSCRIBER_LIMIT',
        `The hub is at its limit of ${settings.maxSubscribers} subscribers; retry shortly.`,
      );
    }

    const mayRead = (event: StoredEvent): boolean =>
      event.private !== true || matchesAny(entitled, event.topics);
    // Exact selectors only: the engine indexes the subscriber by these topics
    // and offers it only updates carrying one, so the filter need not match them.
    const exact = matchers.every((m) => m.engine === 'exact');
    const filter = exact
      ? mayRead
      : (event: StoredEvent): boolean => matchesAny(matchers, event.topics) && mayRead(event);
    const headers: Record<string, string> = { ...cors };
    // Header values are byte strings: send the id's UTF-8 bytes (as clients send
    // Last-Event-ID), or a Unicode IRI would make writeHead throw.
    if (resumeFrom !== undefined) {
      headers['Last-Event-ID'] = Buffer.from(resumeFrom, 'utf8').toString('latin1');
    }
    if (source?.via === 'query') headers['Cache-Control'] = 'private, no-cache, no-transform';
    const sink = writeStreamHead(req, res, headers);
    const subscriber = engine.attach(sink, {
      filter,
      topics: exact ? topics : undefined,
      after,
      lastEventId: after === undefined ? lastEventId : undefined,
      retained,
      heartbeat,
    });

    // Node builds a UUID from some fifteen concatenated pieces (~0.5 KB while
    // they stay pieces); copied once, the id held for the connection is one string.
    const id = Buffer.from(`urn:uuid:${randomUUID()}`, 'latin1').toString('latin1');
    const log: SubscriptionLog = {
      subscriber: id,
      topics,
      lastEventId,
      remote: req.socket.remoteAddress,
    };
    observer.opened?.(log);
    context.activeSubscriptions?.add(id, topics, token?.mercure?.payload);
    let reason: 'disconnected' | 'expired' = 'disconnected';
    // Made only for tokens that expire: every closure kept per connection is memory.
    let expire: (() => void) | undefined;
    if (token?.exp !== undefined) {
      expire = () => {
        reason = 'expired';
        subscriber.end();
      };
      context.expiry.add(expire, token.exp * 1000);
    }
    res.on('close', () => {
      if (expire !== undefined) context.expiry.remove(expire);
      const dropped = subscriber.closed && !engine.closed && reason === 'disconnected';
      engine.detach(subscriber);
      context.activeSubscriptions?.remove(id);
      observer.closed?.(log, engine.closed ? 'closed' : dropped ? 'dropped' : reason);
    });
    res.on('error', ignore);
  } catch (error) {
    sendRefusal(req, res, error, observer, cors);
  }
}
