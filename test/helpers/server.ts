/**
 * Servers for integration tests: a node:http server on 127.0.0.1, port 0,
 * serving one Andon stream, torn down by the test that started it.
 */
import { once } from 'node:events';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createStream, type Stream, type StreamOptions } from '../../src/index.js';

/** Listens on 127.0.0.1 on a free port and resolves with the port. */
export async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Closes `server`, cutting whatever connections are still open. */
export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

/** A running server with its stream. */
export interface StreamServer {
  readonly stream: Stream;
  readonly server: http.Server;
  readonly port: number;
  /** `http://127.0.0.1:PORT/events`. */
  readonly url: string;
  /** Every request the server received, in order. */
  readonly requests: IncomingMessage[];
  /** Cuts every open connection from the server side, as a crash or a proxy would. */
  dropConnections(): void;
  /** Closes the stream, then the server. */
  close(): Promise<void>;
}

/**
 * Starts a node:http server whose every request goes to `stream.serve`.
 * `afterServe`, when given, runs right after `serve` returns (to act while a
 * replay is still in progress, for instance).
 */
export async function startStreamServer(
  options: StreamOptions = {},
  afterServe?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<StreamServer> {
  const stream = createStream(options);
  const requests: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests.push(req);
    stream.serve(req, res);
    afterServe?.(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    stream,
    server,
    port,
    url: `http://127.0.0.1:${port}/events`,
    requests,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      await stream.close();
      await closeServer(server);
    },
  };
}

/** A complete answer to a plain request. */
export interface SimpleResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends one request and reads the whole answer. With `headOnly`, resolves as
 * soon as the head arrives and drops the connection (for event streams).
 */
export async function request(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    headOnly?: boolean;
  } = {},
): Promise<SimpleResponse> {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: options.method ?? 'GET',
    path: options.path ?? '/events',
    headers: options.headers ?? {},
    agent: false,
  });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  if (options.headOnly === true) {
    req.destroy();
    return { status: res.statusCode ?? 0, headers: res.headers, body: '' };
  }
  res.setEncoding('utf8');
  let body = '';
  for await (const chunk of res) body += chunk as string;
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}
