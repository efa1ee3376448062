/**
 * One stream served the ways the README shows: node:http, Express 5 and
 * Fastify 5. Each mount is written as a user would write it; the same suite
 * then checks delivery and replay through it with a real EventSource.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createStream, type Stream } from '../src/index.js';
import { EventSourceClient } from './helpers/event-source.js';
import { closeServer, listen } from './helpers/server.js';

/** A stream mounted at `/events` in some framework, on 127.0.0.1 port 0. */
interface Mounted {
  readonly url: string;
  /** The underlying node:http server, to cut connections as a crash would. */
  readonly server: http.Server;
  close(): Promise<void>;
}

type Mount = (stream: Stream) => Promise<Mounted>;

const urlOf = (server: http.Server): string =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;

const mounts: [string, Mount][] = [
  [
    'node:http',
    async (stream) => {
      const server = http.createServer((req, res) => stream.serve(req, res));
      await listen(server);
      return { url: urlOf(server), server, close: () => closeServer(server) };
    },
  ],
  [
    'Express 5',
    async (stream) => {
      const app = express();
      app.get('/events', (req, res) => stream.serve(req, res));
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve).once('error', reject);
      });
      return { url: urlOf(server), server, close: () => closeServer(server) };
    },
  ],
  [
    'Fastify 5',
    async (stream) => {
      const app = Fastify();
      app.get('/events', (request, reply) => {
        reply.hijack(); // Andon writes the response itself
        stream.serve(request.raw, reply.raw);
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: urlOf(app.server), server: app.server, close: () => app.close() };
    },
  ],
];

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(mounts)('a stream served through %s', (_name, mount) => {
  async function start(): Promise<{ stream: Stream; mounted: Mounted; drop: () => void }> {
    const stream = createStream({ retry: 50 });
    const mounted = await mount(stream);
    const sockets = new Set<Socket>();
    mounted.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    cleanups.push(async () => {
      await stream.close();
      await mounted.close();
    });
    const drop = (): void => {
      for (const socket of sockets) socket.destroy();
    };
    return { stream, mounted, drop };
  }

  function client(url: string, lastEventId?: string): EventSourceClient {
    const es = new EventSourceClient(
      url,
      lastEventId === undefined ? { types: ['message', 'status'] } : { lastEventId },
    );
    cleanups.push(() => es.close());
    return es;
  }

  it('delivers events with their ids to EventSource clients', async () => {
    const { stream, mounted } = await start();
    const a = client(mounted.url);
    const b = client(mounted.url);
    await a.waitForOpen();
    await b.waitForOpen();
    expect(stream.size).toBe(2);

    const first = stream.send({ data: 'hello' });
    const second = stream.sendJSON('status', { state: 'ok' });
    for (const es of [a, b]) {
      expect(await es.waitForEvents(2)).toEqual([
        { type: 'message', data: 'hello', lastEventId: first },
        { type: 'status', data: '{"state":"ok"}', lastEventId: second },
      ]);
    }
  });

  it('replays what a client missed, from the Last-Event-ID it sends', async () => {
    const { stream, mounted, drop } = await start();
    const es = client(mounted.url);
    await es.waitForOpen();
    stream.send({ data: 'e1' });
    stream.send({ data: 'e2' });
    await es.waitForEvents(2);

    // The connection breaks; events go on; EventSource comes back with its last id.
    drop();
    stream.send({ data: 'e3' });
    stream.send({ data: 'e4' });
    await es.waitForOpen(2);
    stream.send({ data: 'e5' });
    expect((await es.waitForEvents(5)).map((e) => e.data)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);

    // A page restored from storage resumes from an id it kept.
    const resumed = client(mounted.url, es.events[2]!.lastEventId);
    expect((await resumed.waitForEvents(2)).map((e) => e.data)).toEqual(['e4', 'e5']);
  });
});
