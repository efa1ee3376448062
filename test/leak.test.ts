/**
 * Leak test: 10,000 connections opened and dropped leave the server's heap
 * and handles where they were. The server runs in a child process (see
 * helpers/leak-server.mjs) so its measurements are its own and the two sides
 * share no open-files limit (20,000 here).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from './helpers/andon-process.js';
import { waitFor, withTimeout } from './helpers/wait.js';

/** Connections opened and dropped in all, after the warm-up. */
const TOTAL = 10_000;
/** Connections open at once: each wave is opened in full, then dropped. */
const WAVE = 2_500;
/** Connections being set up at once: well under the default listen backlog (511). */
const CONNECTING = 200;
/**
 * Heap allowed above the baseline once everything is dropped and collected:
 * 200 bytes per connection, so even a headers object kept per connection
 * (about 160 bytes) nearly fails it. A clean run grows 0.2-0.5 MB.
 */
const HEAP_SLACK_BYTES = 2 * 1024 * 1024;
/** Handles allowed above the baseline (a timer or an IPC write in flight). */
const HANDLE_SLACK = 2;
/** One wave of this size opens in well under a second; this leaves room for slow CI. */
const WAVE_TIMEOUT_MS = 30_000;

interface Stats {
  readonly heapUsed: number;
  readonly handles: number;
  readonly resources: Record<string, number>;
  readonly size: number;
}

/** The child server, spoken to over IPC, one request at a time. */
class LeakServer {
  readonly child: ChildProcess;
  readonly port: number;

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
  }

  static async start(): Promise<LeakServer> {
    const script = join(REPO_ROOT, 'test/helpers/leak-server.mjs');
    const child = fork(script, [], { execArgv: ['--expose-gc'], stdio: 'inherit' });
    const port = await withTimeout(
      new Promise<number>((resolve, reject) => {
        child.once('message', (m: { port: number }) => resolve(m.port));
        child.once('exit', (code) => reject(new Error(`leak-server exited with ${code}`)));
      }),
      'the leak server to listen',
      10_000,
    );
    return new LeakServer(child, port);
  }

  ask<T>(message: object, reply: string): Promise<T> {
    return withTimeout(
      new Promise<T>((resolve) => {
        const onMessage = (m: { type: string }): void => {
          if (m.type !== reply) return;
          this.child.off('message', onMessage);
          resolve(m as T);
        };
        this.child.on('message', onMessage);
        this.child.send(message);
      }),
      `the leak server's answer to ${JSON.stringify(message)}`,
      10_000,
    );
  }

  stats(gc: boolean): Promise<Stats> {
    return this.ask<Stats>({ type: 'stats', gc }, 'stats');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask({ type: 'close' }, 'closed');
    await withTimeout(exited, 'the leak server to exit').catch(() => this.child.kill('SIGKILL'));
  }
}

/** A client connection: the socket and whether it got its retry line and an event. */
interface Connection {
  readonly socket: net.Socket;
  text: string;
}

function connect(port: number, open: Set<net.Socket>): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    open.add(socket);
    const connection: Connection = { socket, text: '' };
    let ready = false;
    socket.on('data', (chunk: Buffer) => {
      connection.text += chunk.toString('latin1');
      if (!ready && connection.text.includes('retry:')) {
        ready = true;
        resolve(connection);
      }
    });
    // After the drop, a reset is the expected end of the story.
    socket.on('error', (error) => reject(error));
    socket.on('close', () => {
      open.delete(socket);
      reject(new Error('The connection closed before its retry line'));
    });
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
  });
}

/** Opens `count` connections, at most {@link CONNECTING} being set up at once. */
async function openWave(port: number, count: number, open: Set<net.Socket>): Promise<Connection[]> {
  const connections: Connection[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      connections.push(await connect(port, open));
    }
  };
  await withTimeout(
    Promise.all(Array.from({ length: CONNECTING }, worker)),
    `${count} connections to get their retry line`,
    WAVE_TIMEOUT_MS,
  );
  return connections;
}

describe('10,000 connections opened and dropped', () => {
  let server: LeakServer | undefined;
  const open = new Set<net.Socket>();

  beforeAll(async () => {
    await ensureBuilt();
    if (!existsSync(join(REPO_ROOT, 'dist/index.js'))) {
      throw new Error(
        'dist/index.js is missing after the build: run `npm run build` and look why.',
      );
    }
    server = await LeakServer.start();
  });

  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await server?.stop();
  });

  /** Opens a wave, checks every client is attached and gets an event, drops them all. */
  async function wave(label: string): Promise<void> {
    const s = server!;
    const connections = await openWave(s.port, WAVE, open);
    await waitFor(
      async () => (await s.stats(false)).size === WAVE,
      `${WAVE} subscribers (${label})`,
      WAVE_TIMEOUT_MS,
    );
    await s.ask({ type: 'send', data: label }, 'sent');
    await waitFor(
      () => connections.every((c) => c.text.includes(`data: ${label}\n`)),
      `the event "${label}" at every client`,
      WAVE_TIMEOUT_MS,
    );
    for (const c of connections) c.socket.destroy();
    await waitFor(
      async () => (await s.stats(false)).size === 0,
      `every subscriber of ${label} to be detached`,
      WAVE_TIMEOUT_MS,
    );
  }

  it('leaves heap and handles at their baseline', async () => {
    const s = server!;
    // Warm-up: lazy allocations (parser pools, code caches) are not leaks.
    await wave('warm-up');
    const baseline = await s.stats(true);

    for (let done = 0; done < TOTAL; done += WAVE) await wave(`wave-${done / WAVE + 1}`);
    await waitFor(() => open.size === 0, 'every client socket to close', WAVE_TIMEOUT_MS);
    const after = await s.stats(true);

    expect(after.size).toBe(0);
    const heapGrowth = after.heapUsed - baseline.heapUsed;
    expect(heapGrowth, `heap grew by ${heapGrowth} bytes`).toBeLessThan(HEAP_SLACK_BYTES);
    expect(
      after.handles,
      `handles ${JSON.stringify(after.resources)} vs baseline ${JSON.stringify(baseline.resources)}`,
    ).toBeLessThanOrEqual(baseline.handles + HANDLE_SLACK);
  }, 120_000);
});
