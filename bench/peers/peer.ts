/**
 * A peer: a server the benchmarks run side by side with Andon, on the same
 * machine, in the same run, with the same workload. Every peer is driven the
 * same way: subscribers open `url + subscribePath` (SSE over HTTP/1.1), and
 * events are published over HTTP POST on keep-alive connections, each event's
 * `data` being the timed payload of `bench/lib/load/payload.ts`.
 *
 * A peer is measured from outside: its memory and CPU are read from /proc
 * for its whole process tree (nginx's master and workers, Andon's workers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { DEFAULT_DATA_BYTES, timedPayload } from '../lib/load/payload.js';

/** One server under test; see the module comment. */
export interface Peer {
  /** Its name in tables and on the command line: `raw-coalesced`, `nchan`, `andon`... */
  readonly name: string;
  /** One line: what it is and how it is configured. */
  readonly description: string;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Path (with query) subscribers open: every subscriber gets every event published. */
  readonly subscribePath: string;
  /** The server's root process (Andon, the node child, nginx's master). */
  readonly pid: number;
  /** Publishes one event whose data is `data`; resolves once the peer answered 2xx. */
  publishOne(data: string): Promise<void>;
  /**
   * Publishes `events` timed events of `dataBytes` bytes of data (default
   * {@link DEFAULT_DATA_BYTES}), `concurrency` at a time (default 8); resolves when all are accepted.
   */
  publish(events: number, dataBytes?: number, concurrency?: number): Promise<void>;
  /** Resident memory of the server's processes, summed, in bytes. */
  rssBytes(): number;
  /** CPU time the server's processes used since they started, summed, in ms. */
  cpuMs(): number;
  /** Stops the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** What a peer implementation provides; {@link definePeer} adds the rest. */
export interface PeerParts {
  readonly name: string;
  readonly description: string;
  readonly url: string;
  readonly subscribePath: string;
  readonly pid: number;
  publishOne(data: string): Promise<void>;
  stop(): Promise<void>;
}

/** A {@link Peer} from its parts: batch publishing and /proc readings are the same for all. */
export function definePeer(parts: PeerParts): Peer {
  let stopped: Promise<void> | undefined;
  return {
    name: parts.name,
    description: parts.description,
    url: parts.url,
    subscribePath: parts.subscribePath,
    pid: parts.pid,
    publishOne: (data) => parts.publishOne(data),
    async publish(events, dataBytes = DEFAULT_DATA_BYTES, concurrency = 8) {
      let next = 0;
      const lane = async () => {
        while (next < events) await parts.publishOne(timedPayload(next++, dataBytes));
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, events) }, lane));
    },
    rssBytes: () => treeRssBytes(parts.pid),
    cpuMs: () => treeCpuMs(parts.pid),
    stop() {
      stopped ??= parts.stop();
      return stopped;
    },
  };
}

/** A TCP port free on 127.0.0.1 now (for servers that must be told their port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux build that matters. */
const CLOCK_TICKS = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants still alive. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    const parent = Number(fields?.[1]);
    if (!Number.isFinite(parent)) continue;
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [Number(entry)]);
    else list.push(Number(entry));
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** Resident memory of one process in bytes (VmRSS), 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/** Resident memory of `pid` and its descendants, in bytes. */
export function treeRssBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssOf(p), 0);
}

/** CPU time (user + system) of `pid` and its live descendants, in ms. */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const fields = statFields(p);
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the command name.
    if (fields !== undefined) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/**
 * CPU time of this process and every process it started, in ms: the live
 * ones (with the children they reaped) and the ones this process reaped.
 * Benchmarks subtract it from the machine's busy time to see what else ran.
 */
export function familyCpuMs(): number {
  let ticks = 0;
  for (const p of processTree(process.pid)) {
    const fields = statFields(p);
    // utime, stime, cutime, cstime: fields 14 to 17 of stat; 12 to 15 after the command name.
    if (fields !== undefined) {
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Resolves once `url` answers (any status), polling; rejects after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the server for ${url} exited while starting`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
