/**
 * Publishing to any topic of an `andon serve` started by the benchmarks:
 * Mercure POSTs signed with a key the scenario chose (passed to the hub
 * with `--jwt-key`, after the peer's own), over keep-alive connections.
 */
import { randomBytes } from 'node:crypto';
import { signToken } from '../../src/mercure/auth.js';
import { httpPoster } from '../peers/http-post.js';

const HUB_PATH = '/.well-known/mercure';

/** A publisher bound to one hub. */
export interface HubPublisher {
  /** POSTs one update with `data` to `topic` (with `id` as its id, if given); resolves on 2xx. */
  publish(topic: string, data: string, id?: string): Promise<void>;
  close(): void;
}

/** A fresh HMAC key, and the `andon serve` flags that make the hub use it. */
export function hubKey(): { key: string; args: string[] } {
  const key = randomBytes(32).toString('hex');
  return { key, args: ['--jwt-key', key] };
}

/** A publisher to the hub at `url` allowed to publish anywhere, keeping up to `connections` sockets. */
export async function hubPublisher(
  url: string,
  key: string,
  connections: number,
): Promise<HubPublisher> {
  const token = await signToken({ key, publish: ['*'] });
  const poster = httpPoster(url, connections);
  const headers = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Authorization: `Bearer ${token}`,
  };
  return {
    publish: (topic, data, id) =>
      poster.post(
        HUB_PATH,
        `topic=${encodeURIComponent(topic)}&data=${encodeURIComponent(data)}${id === undefined ? '' : `&id=${encodeURIComponent(id)}`}`,
        headers,
      ),
    close: () => poster.close(),
  };
}
