/**
 * POSTs over keep-alive connections: how every peer is published to. One
 * agent per peer keeps up to `connections` sockets open, so concurrent
 * publishers reuse them instead of paying a TCP handshake per event.
 */
import { Agent, request } from 'node:http';

/** Longest a publish may take before it counts as failed, in ms. */
const POST_TIMEOUT_MS = 30_000;

/** A poster bound to one server. */
export interface HttpPoster {
  /** POSTs `body` to `path`; resolves on 2xx, rejects with the status and body otherwise. */
  post(path: string, body: string, headers: Readonly<Record<string, string>>): Promise<void>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/** A poster to `baseUrl` keeping up to `connections` sockets alive. */
export function httpPoster(baseUrl: string, connections = 64): HttpPoster {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return {
    post(path, body, headers) {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: base.hostname,
            port: base.port,
            method: 'POST',
            path,
            headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
            timeout: POST_TIMEOUT_MS,
          },
          (res) => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              res.resume();
              res.on('end', resolve);
              res.on('error', reject);
              return;
            }
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () =>
              reject(new Error(`POST ${path} answered ${status}: ${text.slice(0, 300)}`)),
            );
          },
        );
        req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
