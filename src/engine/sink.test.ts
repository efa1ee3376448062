import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writeStreamHead } from '../sse/response.js';
import type { Sink } from './sink.js';

/** A server whose every request gets a stream head; resolves each sink in order. */
async function serve(): Promise<{ port: number; next: () => Promise<Sink>; close: () => void }> {
  const sinks: Sink[] = [];
  const waiting: ((sink: Sink) => void)[] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const sink = writeStreamHead(req, res);
    const resolve = waiting.shift();
    if (resolve) resolve(sink);
    else sinks.push(sink);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    next: () => {
      const sink = sinks.shift();
      return sink ? Promise.resolve(sink) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Everything `socket` receives until it closes. */
function collect(socket: net.Socket): { text: () => string; closed: Promise<unknown> } {
  let text = '';
  socket.on('data', (data: Buffer) => {
    text += data.toString('latin1');
  });
  return { text: () => text, closed: once(socket, 'close') };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for the bytes.');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the stream sink', () => {
  let close = () => {};
  afterEach(() => close());

  it('writes each HTTP/1.1 chunk framed, once per write, and ends the body', async () => {
    const server = await serve();
    close = server.close;
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const received = collect(socket);
    const sink = await server.next();
    const shared = Buffer.from('data: a\n\n');
    sink.write(shared);
    sink.write(Buffer.alloc(0));
    sink.write(shared);
    sink.end(Buffer.from('retry: 1\n\n'));
    sink.write(shared);
    await until(() => received.text().endsWith('0\r\n\r\n'));
    const body = received.text().split('\r\n\r\n').slice(1).join('\r\n\r\n');
    expect(received.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Transfer-Encoding: chunked\r\n/);
    expect(body).toBe('9\r\ndata: a\n\n\r\n9\r\ndata: a\n\n\r\na\r\nretry: 1\n\n\r\n0\r\n\r\n');
    socket.destroy();
  });

  it('writes raw bytes to an HTTP/1.0 client, whose body ends with the connection', async () => {
    const server = await serve();
    close = server.close;
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write('GET / HTTP/1.0\r\n\r\n');
    const received = collect(socket);
    const sink = await server.next();
    sink.write(Buffer.from('data: a\n\n'));
    sink.end();
    await received.closed;
    expect(received.text()).not.toContain('chunked');
    expect(received.text().endsWith('\r\n\r\ndata: a\n\n')).toBe(true);
  });

  it('waits for a pipelined request: its bytes follow the first response', async () => {
    const server = await serve();
    close = server.close;
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    const received = collect(socket);
    const first = await server.next();
    const second = await server.next();
    second.write(Buffer.from('data: second\n\n'));
    first.write(Buffer.from('data: first\n\n'));
    first.end();
    second.end();
    await until(() => received.text().split('0\r\n\r\n').length === 3);
    const text = received.text();
    expect(text.indexOf('data: first')).toBeLessThan(text.indexOf('HTTP/1.1 200', 1));
    expect(text.indexOf('data: second')).toBeGreaterThan(text.indexOf('HTTP/1.1 200', 1));
    socket.destroy();
  });

  it('reports backpressure and calls back once the socket drains', async () => {
    const server = await serve();
    close = server.close;
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const sink = await server.next();
    socket.pause();
    const big = Buffer.alloc(64 * 1024, 0x61);
    let writes = 0;
    while (sink.write(big)) {
      writes++;
      if (writes > 10_000) throw new Error('The sink never reported backpressure.');
    }
    const drained = new Promise<void>((resolve) => sink.onceDrain(resolve));
    socket.resume();
    await drained;
    sink.destroy();
    socket.destroy();
  });
});
