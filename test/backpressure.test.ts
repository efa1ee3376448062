/**
 * Backpressure over real sockets: a client that stops reading fills its
 * kernel buffers, then its bounded queue, and is dropped; it never slows a
 * client that reads, and the server's memory stays flat. With conflation a
 * paused dashboard keeps only the latest value per key and stays connected.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { LeaveReason, StreamOptions, Subscriber } from '../src/index.js';
import { EventSourceClient } from './helpers/event-source.js';
import { RawSseClient } from './helpers/raw-sse-client.js';
import { type StreamServer, startStreamServer } from './helpers/server.js';
import { nextTurn } from './helpers/wait.js';

/** Each event carries this much padding: sizeable, as the brief of this test asks. */
const PAYLOAD = 'x'.repeat(2048);
/** Loopback kernel buffers absorb a few MB of a paused reader: send well past that. */
const EVENTS = 8000;
/** Events sent per round; the next round waits for the reading client to have them all. */
const ROUND = 40;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live memory after a full collection: JS heap plus Buffers' backing stores. */
function liveBytes(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Watched {
  readonly server: StreamServer;
  readonly subscribers: Subscriber[];
  readonly left: { id: number; reason: LeaveReason }[];
}

async function serveWatched(options: StreamOptions): Promise<Watched> {
  const subscribers: Subscriber[] = [];
  const left: { id: number; reason: LeaveReason }[] = [];
  const server = await startStreamServer({
    heartbeat: 0,
    replay: 100,
    ...options,
    observer: {
      subscribed: (s) => subscribers.push(s),
      unsubscribed: (s, reason) => left.push({ id: s.id, reason }),
    },
  });
  cleanups.push(() => server.close());
  return { server, subscribers, left };
}

/** A raw client that got its `retry` line, then stopped reading. */
async function pausedClient(watched: Watched): Promise<{ raw: RawSseClient; sub: Subscriber }> {
  const raw = await RawSseClient.connect(watched.server.port);
  cleanups.push(() => raw.destroy());
  await raw.waitForBlocks(1);
  raw.pause();
  const sub = watched.subscribers.at(-1)!;
  return { raw, sub };
}

describe('a client that stops reading', () => {
  it.each([
    { limit: 'maxQueue', maxQueue: 20, maxQueueBytes: 16 * 1024 * 1024 },
    { limit: 'maxQueueBytes', maxQueue: 100_000, maxQueueBytes: 64 * 1024 },
  ])('never delays a reading client and is dropped past $limit', async (limits) => {
    const watched = await serveWatched({
      maxQueue: limits.maxQueue,
      maxQueueBytes: limits.maxQueueBytes,
    });
    const { server, left } = watched;
    const { sub: slow } = await pausedClient(watched);
    // Keep only the sequence number of each event, so the reader's memory stays flat.
    const reader = new EventSourceClient(server.url, {
      keep: (e) => ({ type: e.type, data: e.data.slice(0, 7), lastEventId: '' }),
    });
    cleanups.push(() => reader.close());
    await reader.waitForOpen();

    const baseline = liveBytes();
    let peak = baseline;
    let droppedAfter = 0;
    let maxQueued = 0;
    for (let sent = 0; sent < EVENTS; ) {
      for (let i = 0; i < ROUND; i++) {
        sent += 1;
        server.stream.send({ data: `${String(sent).padStart(7, '0')} ${PAYLOAD}` });
      }
      // The reader keeps pace whatever the slow client does: every round arrives.
      await reader.waitForEvents(sent, 5000);
      if (!slow.closed) maxQueued = Math.max(maxQueued, slow.queued);
      else if (droppedAfter === 0) droppedAfter = sent;
      if (sent % 1000 === 0) peak = Math.max(peak, liveBytes());
    }

    expect(left).toEqual([{ id: slow.id, reason: 'dropped' }]);
    expect(droppedAfter).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(limits.maxQueue);
    expect(server.stream.size).toBe(1);
    expect(reader.events.length).toBe(EVENTS);
    reader.events.forEach((event, i) => {
      if (Number(event.data) !== i + 1) {
        throw new Error(`Event ${i + 1} arrived as ${event.data}: out of order or missing`);
      }
    });
    // 16 MB went out, a few MB of it into the slow client's kernel buffers; a
    // queue keeping the rest would add twice that (strings and buffers). Seen: 2-5 MB.
    expect(peak - baseline).toBeLessThan(10 * 1024 * 1024);
  });
});

describe('a conflating stream', () => {
  it('keeps a paused client connected and gives it the latest value per key', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const watched = await serveWatched({
      conflate: true,
      maxQueue: 20,
      maxQueueBytes: 256 * 1024,
    });
    const { server, left } = watched;
    const { raw, sub } = await pausedClient(watched);

    const latest = new Map<string, number>();
    let seq = 0;
    const sendRound = (): void => {
      for (let i = 0; i < ROUND; i++) {
        seq += 1;
        const key = keys[seq % keys.length]!;
        latest.set(key, seq);
        server.stream.send({ event: 'update', key, data: JSON.stringify({ key, seq, PAYLOAD }) });
      }
    };
    // Fill the kernel buffers until the server sees backpressure...
    while (!sub.congested) {
      sendRound();
      await nextTurn();
      if (seq > 100_000) throw new Error('The paused client never became congested');
    }
    // ...then keep sending well past both queue limits.
    const congestedAt = seq;
    for (let round = 0; round < 50; round++) {
      sendRound();
      await nextTurn();
    }
    expect(seq - congestedAt).toBeGreaterThan(20 * ROUND);
    expect(sub.congested).toBe(true);
    expect(sub.queued).toBeLessThanOrEqual(keys.length);
    expect(left).toEqual([]);
    expect(server.stream.size).toBe(1);

    server.stream.send({ event: 'done', data: 'done' });
    raw.resume();
    await raw.waitForBlocks(1, (b) => b.event === 'done', 10_000);

    const updates = raw
      .events()
      .filter((b) => b.event === 'update')
      .map((b) => JSON.parse(b.data!) as { key: string; seq: number });
    const received = new Map<string, number>();
    let previous = 0;
    for (const update of updates) {
      expect(update.seq).toBeGreaterThan(previous);
      previous = update.seq;
      received.set(update.key, update.seq);
    }
    expect(received).toEqual(latest);
    // Intermediate values were skipped, not delivered late.
    expect(updates.length).toBeLessThan(seq);
    expect(left).toEqual([]);
  });
});
