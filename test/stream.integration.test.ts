/**
 * The Stream over real sockets: node:http on 127.0.0.1 port 0, the
 * `eventsource` client as a browser would use it, and a raw socket client
 * where the bytes on the wire matter (retry values, comments, raw headers).
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isAndonError, type StreamOptions } from '../src/index.js';
import { EventSourceClient, type EventSourceClientOptions } from './helpers/event-source.js';
import { type RawConnectOptions, RawSseClient, type SseBlock } from './helpers/raw-sse-client.js';
import { request, type StreamServer, startStreamServer } from './helpers/server.js';
import { nextTurn, waitFor } from './helpers/wait.js';

/** Short reconnection delay so EventSource clients come back quickly in tests. */
const RETRY = 50;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(
  options: StreamOptions = {},
  afterServe?: (req: IncomingMessage) => void,
): Promise<StreamServer> {
  const server = await startStreamServer({ retry: RETRY, ...options }, afterServe);
  cleanups.push(() => server.close());
  return server;
}

function eventSource(url: string, options?: EventSourceClientOptions): EventSourceClient {
  const client = new EventSourceClient(url, options);
  cleanups.push(() => client.close());
  return client;
}

async function raw(port: number, options?: RawConnectOptions): Promise<RawSseClient> {
  const client = await RawSseClient.connect(port, options);
  cleanups.push(() => client.destroy());
  return client;
}

const isHeartbeat = (b: SseBlock): boolean =>
  b.comments.length > 0 && b.data === undefined && b.id === undefined;

/** Sends `count` events whose data is `${prefix}${i}`; returns their ids. */
function sendMany(server: StreamServer, prefix: string, count: number): string[] {
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) ids.push(server.stream.send({ data: `${prefix}${i}` }));
  return ids;
}

const range = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

describe('the response head', () => {
  it('is a 200 event stream whose retry line comes before any event', async () => {
    const server = await serve();
    const client = await raw(server.port);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toBe('no-cache, no-transform');
    expect(client.headers['x-accel-buffering']).toBe('no');
    const [first] = await client.waitForBlocks(1);
    expect(first).toEqual({ retry: String(RETRY), comments: [] });
  });

  it('lets EventSource open before any event is sent', async () => {
    const server = await serve();
    const client = eventSource(server.url);
    await client.waitForOpen();
    expect(client.events).toEqual([]);
    expect(server.stream.size).toBe(1);
  });
});

describe('delivery', () => {
  it('brings send and sendJSON to every EventSource client, with ids', async () => {
    const server = await serve();
    const types = ['message', 'tick', 'state'];
    const clients = [eventSource(server.url, { types }), eventSource(server.url, { types })];
    for (const client of clients) await client.waitForOpen();

    const plain = server.stream.send({ data: 'plain' });
    const custom = server.stream.send({ event: 'tick', data: 'two\nlines', id: 'custom-1' });
    const json = server.stream.sendJSON('state', { n: 1, s: 'ü' });

    expect(custom).toBe('custom-1');
    expect(plain < json).toBe(true);
    for (const client of clients) {
      expect(await client.waitForEvents(3)).toEqual([
        { type: 'message', data: 'plain', lastEventId: plain },
        { type: 'tick', data: 'two\nlines', lastEventId: 'custom-1' },
        { type: 'state', data: '{"n":1,"s":"ü"}', lastEventId: json },
      ]);
    }
  });

  it('round-trips non-ASCII ids and replays from them, by header and by query', async () => {
    const server = await serve();
    const id = 'ünïcødé-✓';
    const client = eventSource(server.url);
    await client.waitForOpen();
    server.stream.send({ id, data: 'first' });
    expect(await client.waitForEvents(1)).toEqual([
      { type: 'message', data: 'first', lastEventId: id },
    ]);

    server.dropConnections();
    server.stream.send({ id: '日本-2', data: 'second' });
    const third = server.stream.send({ data: 'third' });

    // EventSource reconnects by itself, sending its last id as UTF-8 bytes.
    const events = await client.waitForEvents(3);
    expect(events.map((e) => [e.data, e.lastEventId])).toEqual([
      ['first', id],
      ['second', '日本-2'],
      ['third', third],
    ]);
    const resumed = server.requests.at(-1)!;
    expect(Buffer.from(resumed.headers['last-event-id'] as string, 'latin1').toString('utf8')).toBe(
      id,
    );

    const byQuery = eventSource(`${server.url}?lastEventId=${encodeURIComponent(id)}`);
    expect((await byQuery.waitForEvents(2)).map((e) => e.data)).toEqual(['second', 'third']);

    const byRawHeader = await raw(server.port, { headers: { 'Last-Event-ID': id } });
    expect((await byRawHeader.waitForEvents(2)).map((b) => b.data)).toEqual(['second', 'third']);
  });
});

describe('replay', () => {
  it('gives a reconnecting client exactly what it missed, and what was sent during the replay', async () => {
    const missed = 2500; // more than one replay page (1000)
    const during = 20;
    let sentDuring = 0;
    let sentWhileReplaying = 0;
    let replaying = false;
    let caughtUp = 0;
    const server = await serve(
      {
        replay: 5000,
        observer: {
          caughtUp: () => {
            caughtUp += 1;
            replaying = false;
          },
        },
      },
      (req) => {
        if (req.headers['last-event-id'] === undefined) return;
        replaying = true;
        // The catch-up is asynchronous: these go out while it is in progress.
        const sendOne = (): void => {
          if (sentDuring === during) return;
          sentDuring += 1;
          if (replaying) sentWhileReplaying += 1;
          server.stream.send({ data: `d${sentDuring}` });
          setImmediate(sendOne);
        };
        sendOne();
      },
    );
    const client = eventSource(server.url);
    await client.waitForOpen();
    sendMany(server, 'e', 3);
    await client.waitForEvents(3);

    server.dropConnections();
    sendMany(server, 'm', missed);

    const total = 3 + missed + during;
    const events = await client.waitForEvents(total, 10_000);
    expect(client.opens).toBe(2);
    expect(caughtUp).toBe(1);
    expect(sentWhileReplaying).toBeGreaterThan(0);
    expect(events.map((e) => e.data)).toEqual([
      ...range('e', 3),
      ...range('m', missed),
      ...range('d', during),
    ]);
    // Nothing more arrives: no duplicate at the seam between replay and live.
    server.stream.send({ data: 'last' });
    await client.waitForEvents(total + 1);
    expect(client.events.length).toBe(total + 1);
    expect(client.events.at(-1)?.data).toBe('last');
  });

  it('replays from the lastEventId query parameter', async () => {
    const server = await serve();
    const ids = sendMany(server, 'e', 5);
    const client = eventSource(`${server.url}?lastEventId=${encodeURIComponent(ids[1]!)}`);
    await client.waitForEvents(3);
    server.stream.send({ data: 'live' });
    const events = await client.waitForEvents(4);
    expect(events.map((e) => e.data)).toEqual(['e3', 'e4', 'e5', 'live']);
    expect(events.map((e) => e.lastEventId).slice(0, 3)).toEqual(ids.slice(2));
  });

  it('prefers the Last-Event-ID header over the query parameter', async () => {
    const server = await serve();
    const ids = sendMany(server, 'e', 5);
    const client = await raw(server.port, {
      path: `/events?lastEventId=${encodeURIComponent(ids[0]!)}`,
      headers: { 'Last-Event-ID': ids[2]! },
    });
    server.stream.send({ data: 'live' });
    const events = await client.waitForEvents(3);
    expect(events.map((b) => b.data)).toEqual(['e4', 'e5', 'live']);
  });

  it('announces a reset for an unknown id, then goes on live', async () => {
    const server = await serve();
    const [, head] = sendMany(server, 'old', 2);
    const client = eventSource(`${server.url}?lastEventId=nope`);
    const [reset] = await client.waitForEvents(1);
    expect(reset?.type).toBe('reset');
    expect(JSON.parse(reset!.data)).toEqual({
      reason: 'unknown-last-event-id',
      lastEventId: 'nope',
    });
    // The notice carries the latest id, so the next reconnection resumes from there.
    expect(reset?.lastEventId).toBe(head);

    server.stream.send({ data: 'live-1' });
    server.stream.send({ data: 'live-2' });
    const events = await client.waitForEvents(3);
    expect(events.slice(1).map((e) => e.data)).toEqual(['live-1', 'live-2']);

    const byHeader = await raw(server.port, { headers: { 'Last-Event-ID': 'gone' } });
    const [notice] = await byHeader.waitForEvents(1);
    expect(notice?.event).toBe('reset');
    expect(JSON.parse(notice!.data!)).toEqual({
      reason: 'unknown-last-event-id',
      lastEventId: 'gone',
    });
  });
});

describe('heartbeats', () => {
  it('reach idle clients and leave busy streams alone', async () => {
    const idle = await serve({ heartbeat: 50 });
    const busy = await serve({ heartbeat: 50 });
    const quiet = await raw(idle.port);
    const chatty = await raw(busy.port);
    await quiet.waitForBlocks(2, isHeartbeat, 2000);
    expect(quiet.blocks.filter(isHeartbeat)[0]).toEqual({ comments: [''] });

    // An event every 5 ms keeps the busy stream written between any two beats of 50 ms.
    const beatsSeenIdle = quiet.blocks.filter(isHeartbeat).length;
    let sent = 0;
    const pump = setInterval(() => {
      sent += 1;
      busy.stream.send({ data: `b${sent}` });
    }, 5);
    try {
      await quiet.waitForBlocks(beatsSeenIdle + 5, isHeartbeat, 3000);
    } finally {
      clearInterval(pump);
    }
    await chatty.waitForEvents(sent);
    expect(sent).toBeGreaterThan(20);
    // Count only between the first and the last event: a beat may precede the
    // pump, and beats resume once it stops.
    const first = chatty.blocks.findIndex((b) => b.data !== undefined);
    const last = chatty.blocks.findLastIndex((b) => b.data !== undefined);
    const busySpan = chatty.blocks.slice(first, last + 1);
    expect(busySpan.filter((b) => b.data !== undefined).length).toBe(sent);
    expect(busySpan.filter(isHeartbeat)).toEqual([]);
  });
});

describe('refusals', () => {
  it.each(['POST', 'PUT', 'DELETE', 'HEAD'])(
    'answers %s with 405, Allow and a reason',
    async (method) => {
      const server = await serve();
      const res = await request(server.port, { method });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, OPTIONS');
      if (method !== 'HEAD') {
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.body).toMatch(new RegExp(`${method} is not allowed.*GET`));
      }
      expect(server.stream.size).toBe(0);
    },
  );
});

describe('CORS', () => {
  const cors = { origin: ['https://a.example'], credentials: true } as const;
  const preflight = (origin: string) => ({
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'last-event-id',
    },
  });

  it('answers an allowed preflight with 204 and what is allowed', async () => {
    const server = await serve({ cors });
    const res = await request(server.port, preflight('https://a.example'));
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toContain('GET');
    expect(res.headers['access-control-allow-headers']?.split(/,\s*/)).toContain('last-event-id');
    expect(res.headers.vary).toContain('Origin');
  });

  it('gives a disallowed origin no Access-Control-Allow-Origin', async () => {
    const server = await serve({ cors });
    const res = await request(server.port, preflight('https://b.example'));
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const get = await request(server.port, {
      headers: { Origin: 'https://b.example' },
      headOnly: true,
    });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('adds Access-Control-Allow-Origin to an allowed GET', async () => {
    const server = await serve({ cors });
    const res = await request(server.port, {
      headers: { Origin: 'https://a.example' },
      headOnly: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });
});

describe('close()', () => {
  it('ends every stream with a jittered retry, then refuses', async () => {
    const retry = 1000;
    const closeJitter = 5000;
    const server = await serve({ retry, closeJitter });
    const clients = await Promise.all(Array.from({ length: 8 }, () => raw(server.port)));
    const browser = eventSource(server.url);
    await browser.waitForOpen();
    for (const client of clients) await client.waitForBlocks(1);
    server.stream.send({ data: 'before close' });
    await browser.waitForEvents(1);
    for (const client of clients) await client.waitForEvents(1);

    await server.stream.close();

    const retries: number[] = [];
    for (const client of clients) {
      await client.waitForEnd();
      const last = client.blocks.at(-1)!;
      expect(last.data).toBeUndefined();
      const value = Number(last.retry);
      expect(value).toBeGreaterThanOrEqual(retry);
      expect(value).toBeLessThanOrEqual(retry + closeJitter);
      retries.push(value);
    }
    expect(new Set(retries).size).toBeGreaterThan(1);
    await browser.waitForError(); // its stream ended; it will try again later
    expect(server.stream.size).toBe(0);

    const refused = await request(server.port);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(() => server.stream.send({ data: 'late' })).toThrow(
      expect.objectContaining({ code: 'ANDON_CLOSED' }),
    );
    expect(() => server.stream.sendJSON('late', {})).toThrow(
      expect.objectContaining({ code: 'ANDON_CLOSED' }),
    );
  });
});

describe('connections', () => {
  it('detaches a closed connection at once', async () => {
    const server = await serve();
    const a = await raw(server.port);
    await raw(server.port);
    const browser = eventSource(server.url);
    await browser.waitForOpen();
    await waitFor(() => server.stream.size === 3, 'three subscribers');
    a.destroy();
    await waitFor(() => server.stream.size === 2, 'the raw client to be detached', 1000);
    browser.close();
    await waitFor(() => server.stream.size === 1, 'the EventSource to be detached', 1000);
  });
});

describe('invalid events', () => {
  it('throw before anything is sent', async () => {
    const server = await serve();
    const client = await raw(server.port);
    await client.waitForBlocks(1);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const attempts: [() => unknown, string][] = [
      [() => server.stream.send({ id: 'a\nb', data: 'x' }), 'ANDON_INVALID_FIELD'],
      [() => server.stream.send({ id: 'a\0b', data: 'x' }), 'ANDON_INVALID_FIELD'],
      [() => server.stream.send({ event: 'e\r', data: 'x' }), 'ANDON_INVALID_FIELD'],
      [() => server.stream.send({ data: 'x', retry: -1 }), 'ANDON_INVALID_RETRY'],
      [() => server.stream.send({ data: 'x', retry: 1.5 }), 'ANDON_INVALID_RETRY'],
      [() => server.stream.send({ data: 42 as unknown as string }), 'ANDON_INVALID_DATA'],
      [() => server.stream.sendJSON('e', undefined), 'ANDON_INVALID_DATA'],
      [() => server.stream.sendJSON('e', () => 1), 'ANDON_INVALID_DATA'],
      [() => server.stream.sendJSON('e', 10n), 'ANDON_INVALID_DATA'],
      [() => server.stream.sendJSON('e', circular), 'ANDON_INVALID_DATA'],
      [() => server.stream.sendJSON('bad\ntype', {}), 'ANDON_INVALID_FIELD'],
    ];
    for (const [attempt, code] of attempts) {
      let thrown: unknown;
      try {
        attempt();
      } catch (error) {
        thrown = error;
      }
      expect(isAndonError(thrown), String(thrown)).toBe(true);
      expect((thrown as { code: string }).code).toBe(code);
    }
    await nextTurn();
    server.stream.send({ data: 'valid' });
    await client.waitForEvents(1);
    expect(client.blocks.map((b) => b.data ?? `retry ${b.retry}`)).toEqual([
      `retry ${RETRY}`,
      'valid',
    ]);
  });
});
