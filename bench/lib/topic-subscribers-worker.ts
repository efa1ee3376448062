/**
 * The child process of `topic-subscribers.ts`: opens `count` SSE connections
 * on raw sockets, connection i on `pathTemplate` with `{i}` replaced by i,
 * meters what they receive (`load/sse-meter.ts`) and reports on request.
 * It ends when the parent says `close` or goes away.
 */
import { connect, type Socket } from 'node:net';
import { wallClockMs } from './load/clock.js';
import { Histogram } from './load/histogram.js';
import { SseMeter } from './load/sse-meter.js';
import type { TopicPlan, TopicReply, TopicRequest } from './topic-subscribers.js';

/** One read buffer for every socket: reads are handled one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** Connections opened per ramp tick come from the rate; ticks are this far apart, in ms. */
const RAMP_TICK_MS = 10;
/** Most connections waiting for their response head at once. */
const MAX_PENDING = 1_000;

const sockets = new Set<Socket>();
const latency = new Histogram();
let open = 0;
let failed = 0;
let events = 0;
let started = 0;
let pending = 0;
let closing = false;
let now = 0;
let firstError: string | undefined;
let windowStart = performance.now();
let windowCpu = process.cpuUsage();
let eventsAtReset = 0;

function send(message: TopicReply): void {
  if (process.connected) process.send?.(message);
}

function openOne(plan: TopicPlan): void {
  const index = started++;
  const request = Buffer.from(
    `GET ${plan.pathTemplate.replaceAll('{i}', String(index))} HTTP/1.1\r\n` +
      `Host: ${plan.host}:${plan.port}\r\nAccept: text/event-stream\r\n\r\n`,
    'latin1',
  );
  let settled = false;
  let opened = false;
  const settle = (ok: boolean, why?: string) => {
    if (settled) return;
    settled = true;
    opened = ok;
    pending--;
    if (ok) open++;
    else {
      failed++;
      firstError ??= why;
    }
  };
  const meter = new SseMeter({
    head: (status) => settle(status === 200, `HTTP status ${status}`),
    stamped: (stampMs) => latency.record(now - stampMs),
  });
  pending++;
  const socket = connect({
    host: plan.host,
    port: plan.port,
    onread: {
      buffer: READ_BUFFER,
      callback: (bytes: number, buf: Uint8Array) => {
        now = wallClockMs();
        const before = meter.events;
        meter.feed(buf, 0, bytes);
        events += meter.events - before;
        return true;
      },
    },
  });
  sockets.add(socket);
  socket.on('connect', () => socket.write(request));
  socket.on('error', (error: NodeJS.ErrnoException) => settle(false, error.code ?? error.message));
  socket.on('close', () => {
    sockets.delete(socket);
    if (closing) return;
    if (!settled) settle(false, 'closed before the response head');
    else if (opened) {
      open--;
      failed++;
      firstError ??= 'closed by the server after opening';
    }
  });
}

function start(plan: TopicPlan): void {
  let credit = 0;
  let last = performance.now();
  const ramp = setInterval(() => {
    const t = performance.now();
    credit += ((t - last) / 1000) * plan.rampPerSecond;
    last = t;
    while (credit >= 1 && started < plan.count && pending < MAX_PENDING) {
      openOne(plan);
      credit--;
    }
    if (started >= plan.count) clearInterval(ramp);
  }, RAMP_TICK_MS);
}

process.on('message', (message: TopicRequest) => {
  switch (message.type) {
    case 'start':
      start(message.plan);
      break;
    case 'progress':
      send({ type: 'progress', id: message.id, open, failed, events, settled: open + failed });
      break;
    case 'reset':
      eventsAtReset = events;
      windowStart = performance.now();
      windowCpu = process.cpuUsage();
      latency.reset();
      send({ type: 'progress', id: message.id, open, failed, events, settled: open + failed });
      break;
    case 'stats': {
      const cpu = process.cpuUsage(windowCpu);
      send({
        type: 'stats',
        id: message.id,
        open,
        failed,
        firstError,
        events: events - eventsAtReset,
        elapsedMs: performance.now() - windowStart,
        cpuMs: (cpu.user + cpu.system) / 1000,
        latency: latency.toJSON(),
      });
      break;
    }
    case 'close':
      closing = true;
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      send({ type: 'closed', id: message.id });
      process.disconnect();
      break;
  }
});
process.on('disconnect', () => {
  closing = true;
  for (const socket of sockets) socket.resetAndDestroy();
});
