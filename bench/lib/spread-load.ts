/**
 * Load past one address's ~28,000 ephemeral ports: one load client per
 * *destination* address (127.0.0.1, 127.0.0.2, ... all reach a server that
 * listens on 0.0.0.0), summed.
 *
 * Spreading over *source* addresses does not get past ~28,000 here: Node
 * binds the source address with port 0 before connecting, and without
 * IP_BIND_ADDRESS_NO_PORT (which Node cannot set) the kernel then picks a
 * port unused on every address. Past ~28,000 sockets each bind searches the
 * whole range (measured: ~2.6 ms a bind instead of ~10 µs), and connections
 * time out. A connect without bind picks its port per destination, so each
 * destination address has the whole range.
 */
import { type LoadClient, startLoad } from './load/load.js';
import type { WorkerProgress } from './load/protocol.js';

/** What {@link startSpreadLoad} gives: the parts of a load client a hold test needs. */
export interface SpreadLoad {
  ready(timeoutMs?: number): Promise<WorkerProgress>;
  progress(): WorkerProgress;
  delivered(): number;
  stats(): Promise<{ open: number; errors: number; errorSamples: string[] }>;
  close(): Promise<void>;
}

function sum(all: readonly WorkerProgress[]): WorkerProgress {
  return {
    open: all.reduce((n, p) => n + p.open, 0),
    settled: all.reduce((n, p) => n + p.settled, 0),
    errors: all.reduce((n, p) => n + p.errors, 0),
    events: all.reduce((n, p) => n + p.events, 0),
  };
}

/**
 * Opens `connections` to `path` on `port`, split evenly over `destinations`
 * (loopback addresses), one load process per destination, ramping at
 * `rampPerSecond` in all.
 */
export async function startSpreadLoad(options: {
  readonly port: number;
  readonly path: string;
  readonly connections: number;
  readonly destinations: readonly string[];
  readonly rampPerSecond: number;
}): Promise<SpreadLoad> {
  const count = options.destinations.length;
  const loads: LoadClient[] = [];
  try {
    for (const [i, destination] of options.destinations.entries()) {
      const share =
        Math.floor(options.connections / count) + (i < options.connections % count ? 1 : 0);
      loads.push(
        await startLoad({
          url: `http://${destination}:${options.port}${options.path}`,
          connections: share,
          processes: 1,
          sourceAddresses: [],
          rampPerSecond: Math.max(1, Math.round(options.rampPerSecond / count)),
        }),
      );
    }
  } catch (error) {
    await Promise.all(loads.map((load) => load.close()));
    throw error;
  }
  return {
    async ready(timeoutMs) {
      return sum(await Promise.all(loads.map((load) => load.ready(timeoutMs))));
    },
    progress: () => sum(loads.map((load) => load.progress())),
    delivered: () => loads.reduce((n, load) => n + load.delivered(), 0),
    async stats() {
      const all = await Promise.all(loads.map((load) => load.stats()));
      return {
        open: all.reduce((n, s) => n + s.open, 0),
        errors: all.reduce((n, s) => n + s.errors, 0),
        errorSamples: [...new Set(all.flatMap((s) => s.errorSamples))],
      };
    },
    async close() {
      await Promise.all(loads.map((load) => load.close()));
    },
  };
}
