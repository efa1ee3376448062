/**
 * Many subscribers, each on its own path: connection i opens `pathTemplate`
 * with `{i}` replaced by i (e.g. `?topic=https://example.com/feeds/{i}`),
 * which the shared load client (`load/load.ts`, one path for every
 * connection) does not do. The sockets live in one child process
 * (`topic-subscribers-worker.ts`), so their cost is not the harness's; a
 * process may hold 20,000 files here, so one child takes up to
 * {@link MAX_CONNECTIONS}. Like the load client, it holds the machine's
 * benchmark lock (`load/lock.ts`) while its connections are open.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram, type HistogramSnapshot, type LatencySummary } from './load/histogram.js';
import { acquireBenchLock } from './load/lock.js';

/** Most connections one child holds, under the open-files limit with room to spare. */
export const MAX_CONNECTIONS = 15_000;
/** How long the child may take to answer a request, in ms. */
const ANSWER_TIMEOUT_MS = 20_000;
const WORKER = fileURLToPath(new URL('./topic-subscribers-worker.ts', import.meta.url));

/** What the child is asked to open. */
export interface TopicPlan {
  readonly host: string;
  readonly port: number;
  /** Request target with `{i}` where the connection's index goes. */
  readonly pathTemplate: string;
  readonly count: number;
  /** Connections opened per second. */
  readonly rampPerSecond: number;
}

/** Parent to child. */
export type TopicRequest =
  | { readonly type: 'start'; readonly plan: TopicPlan }
  | { readonly type: 'progress' | 'reset' | 'stats' | 'close'; readonly id: number };

/** Counters since the child started. */
export interface TopicProgress {
  readonly open: number;
  readonly failed: number;
  readonly settled: number;
  readonly events: number;
}

/** Child to parent. */
export type TopicReply =
  | ({ readonly type: 'progress'; readonly id: number } & TopicProgress)
  | {
      readonly type: 'stats';
      readonly id: number;
      readonly open: number;
      readonly failed: number;
      readonly firstError: string | undefined;
      /** Events since the last reset. */
      readonly events: number;
      readonly elapsedMs: number;
      readonly cpuMs: number;
      readonly latency: HistogramSnapshot;
    }
  | { readonly type: 'closed'; readonly id: number };

/** What the subscribers received since the last reset. */
export interface TopicStats {
  readonly open: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  readonly events: number;
  readonly elapsedMs: number;
  /** CPU the child used in the window, in ms. */
  readonly cpuMs: number;
  /** Publish-to-receipt latency of the timed events received. */
  readonly latency: LatencySummary;
}

/** The running subscribers. */
export interface TopicSubscribers {
  /** Resolves once every connection opened or failed; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<TopicProgress>;
  progress(): Promise<TopicProgress>;
  /** Starts a measurement window. */
  reset(): Promise<void>;
  stats(): Promise<TopicStats>;
  /** Closes every connection (with a reset, leaving no TIME_WAIT) and ends the child. */
  close(): Promise<void>;
}

/** Forks the child and starts ramping; see the module comment. */
export async function startTopicSubscribers(
  plan: TopicPlan,
  log?: (line: string) => void,
): Promise<TopicSubscribers> {
  if (plan.count > MAX_CONNECTIONS) {
    throw new Error(
      `startTopicSubscribers: at most ${MAX_CONNECTIONS} connections, got ${plan.count}`,
    );
  }
  const release = await acquireBenchLock(log);
  const child: ChildProcess = fork(WORKER, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (reply: TopicReply) => void>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      release();
      resolve();
    }),
  );
  child.on('message', (reply: TopicReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  const ask = (type: 'progress' | 'reset' | 'stats' | 'close'): Promise<TopicReply> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (!child.connected) {
        reject(new Error('the topic subscribers process is gone'));
        return;
      }
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the topic subscribers process did not answer "${type}" in time`));
      }, ANSWER_TIMEOUT_MS);
      waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send({ type, id } satisfies TopicRequest);
    });
  };
  const progress = async (): Promise<TopicProgress> => {
    const reply = await ask('progress');
    if (reply.type !== 'progress') throw new Error(`unexpected reply ${reply.type}`);
    return reply;
  };
  child.send({ type: 'start', plan } satisfies TopicRequest);
  return {
    async ready(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const p = await progress();
        if (p.settled >= plan.count) return p;
        if (performance.now() > deadline) {
          throw new Error(
            `topic subscribers: ${p.settled} of ${plan.count} settled (${p.open} open, ${p.failed} failed) after ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    progress,
    async reset() {
      await ask('reset');
    },
    async stats() {
      const reply = await ask('stats');
      if (reply.type !== 'stats') throw new Error(`unexpected reply ${reply.type}`);
      const histogram = new Histogram();
      histogram.merge(reply.latency);
      return {
        open: reply.open,
        failed: reply.failed,
        firstError: reply.firstError,
        events: reply.events,
        elapsedMs: reply.elapsedMs,
        cpuMs: reply.cpuMs,
        latency: histogram.summary(),
      };
    },
    async close() {
      if (exited) return;
      await ask('close').catch(() => undefined);
      const kill = setTimeout(() => child.kill('SIGKILL'), ANSWER_TIMEOUT_MS);
      await exit;
      clearTimeout(kill);
    },
  };
}
