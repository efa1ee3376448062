/**
 * One subscribe request of a live subscription: the URL (topics, the Andon
 * extensions, the last event id), the token, and the checks that the answer
 * is an event stream, with the hub's reason when it is not.
 */
import { LiveError } from './live-error.js';
import type { LiveSettings } from './live-options.js';
import { SseLimitError } from './sse-parser.js';

/** Characters of a refusal's body kept in the error message: the hub's reason is one sentence. */
const MAX_REFUSAL_CHARS = 2048;

/**
 * The subscribe URL for `settings`, resuming after `lastEventId` (unless
 * `''`). The id goes in Mercure's `lastEventID` query parameter, not the
 * `Last-Event-ID` header: a custom header would cost a CORS preflight on
 * every reconnection to a hub on another origin.
 */
export function subscribeUrl(settings: LiveSettings, lastEventId: string): string {
  const base = typeof location === 'undefined' ? undefined : location.href;
  const url = new URL(settings.hub, base);
  for (const topic of settings.topics) url.searchParams.append('topic', topic);
  if (settings.retained) url.searchParams.set('retained', '1');
  if (settings.heartbeatMs > 0) url.searchParams.set('heartbeat', String(settings.heartbeatMs));
  if (lastEventId !== '') url.searchParams.set('lastEventID', lastEventId);
  return url.href;
}

/**
 * Sends the subscribe request; resolves with the event stream's body, or
 * rejects with a {@link LiveError} saying why there is none. Aborting
 * `signal` cancels the request and the stream.
 */
export async function openStream(
  settings: LiveSettings,
  lastEventId: string,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (settings.token !== undefined) {
    let token: string;
    try {
      token = typeof settings.token === 'string' ? settings.token : await settings.token();
    } catch (error) {
      throw new LiveError('token', `The token function failed: ${String(error)}`, undefined, error);
    }
    headers.Authorization = `Bearer ${token}`;
  }
  const init: RequestInit = { headers, signal, cache: 'no-store' };
  if (settings.credentials !== undefined) init.credentials = settings.credentials;
  const response = await settings.fetch(subscribeUrl(settings, lastEventId), init);
  if (!response.ok) {
    const reason = await readStart(response, MAX_REFUSAL_CHARS);
    throw new LiveError(
      'http',
      `The hub refused the subscription with ${response.status}: ${reason || response.statusText}`,
      response.status,
    );
  }
  const type = response.headers.get('Content-Type') ?? '';
  if (!/^text\/event-stream\b/i.test(type) || response.body === null) {
    throw new LiveError(
      'protocol',
      `Expected an event stream from ${response.url || settings.hub}, got ${type || 'no content type'}; check the hub URL.`,
    );
  }
  return response.body;
}

/** What a failed attempt threw, as a {@link LiveError}. */
export function toLiveError(error: unknown): LiveError {
  if (error instanceof LiveError) return error;
  if (error instanceof SseLimitError) {
    return new LiveError('limit', error.message, undefined, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LiveError('network', `The connection to the hub failed: ${message}`, undefined, error);
}

/** The first `max` characters of a response's body. */
async function readStart(response: Response, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.length < max) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text.slice(0, max).trim();
}
