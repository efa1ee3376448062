/**
 * `POST /.well-known/mercure`: authorize the publisher, read and validate the
 * form, store the update and answer its id once the store has it.
 *
 * Order of checks: media type, token (from header, query, then cookie; a
 * cookie only from an allowed origin), claim, rate, body, then topics
 * against the claim. The body is never read for an unauthorized request.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AndonError } from '../errors.js';
import { hasMediaType, readBody } from '../server/body.js';
import type { HubContext } from './context.js';
import { parseForm } from './form.js';
import { publishLocal } from './local-publish.js';
import { sendRefusal } from './refusal.js';
import { readToken } from './token-source.js';
import { matchesAny } from './topic-selector.js';
import { readUpdate } from './update.js';
import { generateUpdateId } from './uuid.js';

/** The origin of a request from its `Origin` header, else its `Referer`. */
function requestOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') return origin;
  const referer = req.headers.referer;
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/** Handles one publish request. Never throws: every failure becomes an answer. */
export async function handlePublish(
  context: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const cors = context.cors?.headersFor(req) ?? {};
  try {
    if (!hasMediaType(req, 'application/x-www-form-urlencoded')) {
      throw new AndonError(
        'ANDON_UNSUPPORTED_MEDIA_TYPE',
        `Publish with Content-Type: application/x-www-form-urlencoded; got ${req.headers['content-type'] ?? 'none'}.`,
      );
    }
    const source = readToken(req, query, context.settings.cookieName);
    if (source === undefined) {
      throw new AndonError(
        'ANDON_AUTH_NO_TOKEN',
        'Publishing needs a token: send "Authorization: Bearer <JWS>" with a mercure.publish claim.',
      );
    }
    if (source.via === 'cookie') {
      const origin = requestOrigin(req);
      if (origin === undefined || !context.settings.publishOrigins.includes(origin)) {
        throw new AndonError(
          'ANDON_AUTH_ORIGIN_FORBIDDEN',
          `A cookie may authorize publishing only from an allowed origin (--publish-origins); this request came from ${origin ?? 'no known origin'}.`,
        );
      }
    }
    const token = await context.publishers.verify(source.token);
    const allowed = token.mercure?.publish;
    if (allowed === undefined || allowed.length === 0) {
      throw new AndonError(
        'ANDON_AUTH_CLAIM_MISSING',
        'The token has no mercure.publish claim (or it is empty), so it may not publish anything.',
      );
    }
    if (context.rateLimiter !== undefined) {
      const key = token.subject ?? createHash('sha256').update(source.token).digest('base64url');
      const wait = context.rateLimiter.take(key);
      if (wait > 0) {
        const error = new AndonError(
          'ANDON_RATE_LIMITED',
          `This token publishes more than ${context.settings.publishRate} updates per second; retry in ${wait} s.`,
        );
        sendRefusal(req, res, error, context.observer, { ...cors, 'Retry-After': String(wait) });
        return;
      }
    }
    const update = readUpdate(parseForm(await readBody(req, context.settings.maxBodyBytes)));
    const matchers = allowed.map((selector) => context.selectors.get(selector));
    for (const topic of update.topics) {
      if (!matchesAny(matchers, [topic])) {
        throw new AndonError(
          'ANDON_AUTH_TOPIC_FORBIDDEN',
          `The token's mercure.publish claim does not cover the topic ${JSON.stringify(topic)}; nothing was published.`,
        );
      }
    }
    const id = update.id ?? generateUpdateId();
    try {
      await publishLocal(
        context.store,
        {
          id,
          topics: update.topics,
          data: update.data,
          private: update.private,
          ...(update.type === undefined ? {} : { type: update.type }),
          ...(update.retry === undefined ? {} : { retry: update.retry }),
        },
        context.observer.published,
      );
    } catch (error) {
      // The store's own sentence says what failed; keep it whole, ending with a full stop.
      const why = error instanceof Error ? error.message : String(error);
      throw new AndonError(
        'ANDON_STORE_UNAVAILABLE',
        `The update was not acknowledged: ${/[.!?]$/.test(why) ? why : `${why}.`} Retry later.`,
        { cause: error },
      );
    }
    res.writeHead(200, {
      ...cors,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(id)),
      'Cache-Control': 'no-store',
    });
    res.end(id);
  } catch (error) {
    sendRefusal(req, res, error, context.observer, cors);
  }
}
