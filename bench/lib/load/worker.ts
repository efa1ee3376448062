/**
 * A load worker: a child process (forked by `load.ts`) that holds up to
 * ~15,000 SSE connections on raw sockets, opened at a steady rate, and meters
 * every byte they receive (`sse-meter.ts`). All sockets read into one shared
 * buffer (`onread`), so receiving allocates nothing per read.
 *
 * It stops by itself: on `close` from the coordinator, when the IPC channel
 * goes (the coordinator died), and it holds no timer past that.
 */
import { connect, type Socket } from 'node:net';
import { wallClockMs } from './clock.js';
import { Histogram } from './histogram.js';
import type { FromWorker, ToWorker, WorkerPlan, WorkerStats } from './protocol.js';
import { SseMeter } from './sse-meter.js';

/** One read buffer for every socket: reads are handled one at a time, and nothing keeps it. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** Ramp timer period, in ms: connections are opened in small batches this often. */
const RAMP_TICK_MS = 10;
/** Most connections waiting for their response head at once: a slow server is not flooded. */
const MAX_PENDING = 2_000;
/** Error messages kept to report. */
const MAX_ERROR_SAMPLES = 5;

const histogram = new Histogram();
const sockets = new Set<Socket>();
const errorSamples: string[] = [];
let plan: WorkerPlan | undefined;
let request: Buffer | undefined;
let started = 0;
let open = 0;
let settled = 0;
let pending = 0;
let errors = 0;
let closedByServer = 0;
let readySent = false;
let closing = false;
/** The receipt time of the read being parsed: one clock read per read, not per event. */
let now = 0;
let rampTimer: NodeJS.Timeout | undefined;
let progressTimer: NodeJS.Timeout | undefined;
// Window (since reset) baselines.
let windowStart = performance.now();
let windowCpu = process.cpuUsage();
let eventsAtReset = 0;
let bytesAtReset = 0;
/** Events and body bytes received since the worker started, over all connections. */
let totalEvents = 0;
let totalBytes = 0;

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

function noteError(message: string): void {
  errors++;
  if (errorSamples.length < MAX_ERROR_SAMPLES && !errorSamples.includes(message)) {
    errorSamples.push(message);
  }
}

function totals(): { events: number; bytes: number } {
  return { events: totalEvents, bytes: totalBytes };
}

function checkReady(): void {
  if (!readySent && plan !== undefined && settled >= plan.connections) {
    readySent = true;
    send({ type: 'ready' });
  }
}

function openOne(p: WorkerPlan): void {
  const index = started++;
  const address =
    p.sourceAddresses.length === 0
      ? undefined
      : p.sourceAddresses[index % p.sourceAddresses.length];
  let headSeen = false;
  let failed = false;
  pending++;
  const meter = new SseMeter({
    head: (status) => {
      headSeen = true;
      pending--;
      clearTimeout(timeout);
      if (status === 200) {
        open++;
        settled++;
        checkReady();
      } else {
        fail(`HTTP status ${status}`);
        socket.destroy();
      }
    },
    stamped: (stampMs) => histogram.record(now - stampMs),
  });
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    if (!headSeen) {
      pending--;
      headSeen = true;
    }
    settled++;
    noteError(message);
    checkReady();
  };
  const socket = connect({
    host: p.host,
    port: p.port,
    ...(address === undefined ? {} : { localAddress: address }),
    onread: {
      buffer: READ_BUFFER,
      callback: (bytes: number, buf: Uint8Array) => {
        now = wallClockMs();
        const events = meter.events;
        const body = meter.bytes;
        meter.feed(buf, 0, bytes);
        totalEvents += meter.events - events;
        totalBytes += meter.bytes - body;
        return true;
      },
    },
  });
  sockets.add(socket);
  const timeout = setTimeout(() => {
    if (!headSeen) {
      fail(`no response head within ${p.connectTimeoutMs} ms`);
      socket.destroy();
    }
  }, p.connectTimeoutMs);
  socket.on('connect', () => socket.write(request!));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (!closing) fail(error.code ?? error.message);
  });
  socket.on('close', () => {
    clearTimeout(timeout);
    sockets.delete(socket);
    if (closing) return;
    if (!headSeen) fail('closed before the response head');
    else if (!failed) {
      // Opened, then closed by the server: a dropped subscriber.
      open--;
      closedByServer++;
      noteError('closed by the server after opening');
    }
  });
}

function ramp(p: WorkerPlan): void {
  let last = performance.now();
  let credit = 0;
  rampTimer = setInterval(() => {
    const t = performance.now();
    credit += ((t - last) / 1000) * p.rampPerSecond;
    last = t;
    while (credit >= 1 && started < p.connections && pending < MAX_PENDING) {
      openOne(p);
      credit--;
    }
    if (pending >= MAX_PENDING) credit = Math.min(credit, p.rampPerSecond / 10);
    if (started >= p.connections) {
      clearInterval(rampTimer);
      rampTimer = undefined;
    }
  }, RAMP_TICK_MS);
}

function progress(): void {
  send({ type: 'progress', open, settled, errors, events: totals().events });
}

function stats(): WorkerStats {
  const { events, bytes } = totals();
  const cpu = process.cpuUsage(windowCpu);
  return {
    open,
    settled,
    errors,
    events,
    windowEvents: events - eventsAtReset,
    windowBytes: bytes - bytesAtReset,
    elapsedMs: performance.now() - windowStart,
    cpuMs: (cpu.user + cpu.system) / 1000,
    closedByServer,
    errorSamples,
    latency: histogram.toJSON(),
  };
}

function reset(): void {
  const { events, bytes } = totals();
  eventsAtReset = events;
  bytesAtReset = bytes;
  windowStart = performance.now();
  windowCpu = process.cpuUsage();
  histogram.reset();
}

function close(): void {
  closing = true;
  if (rampTimer !== undefined) clearInterval(rampTimer);
  if (progressTimer !== undefined) clearInterval(progressTimer);
  // A reset leaves no TIME_WAIT behind on our side: repeated runs do not run out of ports.
  for (const socket of sockets) socket.resetAndDestroy();
  sockets.clear();
}

function start(p: WorkerPlan): void {
  plan = p;
  const headers = Object.entries(p.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  request = Buffer.from(
    `GET ${p.path} HTTP/1.1\r\nHost: ${p.host}:${p.port}\r\nAccept: text/event-stream\r\n` +
      `Cache-Control: no-cache\r\n${headers}\r\n`,
    'latin1',
  );
  windowStart = performance.now();
  windowCpu = process.cpuUsage();
  progressTimer = setInterval(progress, p.progressMs);
  if (p.connections === 0) checkReady();
  else ramp(p);
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'start':
      start(message.plan);
      break;
    case 'stats':
      send({ type: 'stats', id: message.id, stats: stats() });
      break;
    case 'reset':
      reset();
      send({ type: 'done', id: message.id });
      break;
    case 'close':
      close();
      send({ type: 'done', id: message.id });
      process.disconnect();
      break;
  }
});
// The coordinator is gone (it closed us, or died): drop everything and let the process end.
process.on('disconnect', () => {
  if (!closing) close();
});
