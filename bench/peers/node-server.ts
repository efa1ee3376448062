/**
 * The Node.js peers' server, run as its own process (forked by
 * `node-peers.ts`) so its memory and CPU are its own. One argument picks
 * how it broadcasts:
 *
 * - `per-event`: each published event is written to each socket at once,
 *   one `write` per event per subscriber (what most hand-written SSE code does);
 * - `coalesced`: events published in one tick are joined and written once
 *   per subscriber on the next (`setImmediate`): one write per subscriber
 *   per tick, the limit of what Node can do;
 * - `better-sse`: a better-sse channel's `broadcast`, with its defaults
 *   (a keep-alive timer per session) and the data sent as is.
 *
 * Both raw broadcasters are deliberately minimal: no backpressure, no
 * replay, no auth. The harness keeps them from buffering without bound by
 * publishing no further ahead of what subscribers received (flow control).
 *
 * Routes: `GET /events` (SSE), `POST /publish` (the body is the event's data).
 * Tells its parent `{ port }` once listening; exits on SIGTERM or when the
 * parent goes.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createChannel, createSession } from 'better-sse';

type Mode = 'per-event' | 'coalesced' | 'better-sse';
const mode = process.argv[2] as Mode;
if (!['per-event', 'coalesced', 'better-sse'].includes(mode)) {
  throw new Error(`node-server: unknown mode ${process.argv[2]}`);
}

const subscribers = new Set<ServerResponse>();
const channel = createChannel();
let pending: Buffer[] = [];
let flushScheduled = false;

function frame(data: string): Buffer {
  return Buffer.from(`id: urn:uuid:${randomUUID()}\ndata: ${data}\n\n`);
}

function flush(): void {
  flushScheduled = false;
  const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
  pending = [];
  for (const res of subscribers) res.write(chunk);
}

function broadcast(data: string): void {
  switch (mode) {
    case 'per-event': {
      const bytes = frame(data);
      for (const res of subscribers) res.write(bytes);
      break;
    }
    case 'coalesced':
      pending.push(frame(data));
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      break;
    case 'better-sse':
      channel.broadcast(data, 'message', { eventId: `urn:uuid:${randomUUID()}` });
      break;
  }
}

async function subscribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (mode === 'better-sse') {
    const session = await createSession(req, res, { serializer: (data) => String(data) });
    channel.register(session);
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  subscribers.add(res);
  res.on('close', () => subscribers.delete(res));
  res.on('error', () => {});
}

function publish(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    broadcast(body);
    res.writeHead(204);
    res.end();
  });
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/events') {
    subscribe(req, res).catch(() => res.destroy());
  } else if (req.method === 'POST' && req.url === '/publish') {
    publish(req, res);
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.on('clientError', (_error, socket) => socket.destroy());
// Publishers held back by flow control may sit idle for seconds: a keep-alive socket
// closed under them (Node's default is 5 s) fails a publish with ECONNRESET.
server.keepAliveTimeout = 120_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') process.send?.({ port: address.port });
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
