/**
 * Publishers for tests that span processes: one POST at a time over HTTP
 * keep-alive, round-robin over several hub nodes, recording what each
 * answer was. With one request in flight, the order of a publisher's
 * acknowledgements is the order its updates were stored.
 */
import { Agent, request } from 'node:http';
import { waitFor } from './wait.js';

/** The hub's publish and subscribe path. */
export const HUB_PATH = '/.well-known/mercure';

/** A publish gets its answer within this, or counts as cut: a live hub answers in milliseconds. */
const REQUEST_TIMEOUT_MS = 5000;
/**
 * Pause after a refused or cut publish before the next one, as a real
 * publisher backs off: without it the loop would spin on instant 503s and
 * starve the hubs of the CPU they need to recover on a small machine.
 */
const BACKOFF_MS = 25;

/** A complete HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One POST of `form` over `agent`; rejects when the connection fails or ends before the whole answer. */
export function post(
  agent: Agent,
  port: number,
  token: string,
  form: URLSearchParams,
): Promise<Answer> {
  const body = form.toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: HUB_PATH,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
          Authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('no answer in time')));
    req.end(body);
  });
}

/** What one publisher did. */
export interface PublisherLog {
  /** Ids answered 200 with the id, in the order of their answers. */
  readonly acked: string[];
  /** Ids answered with anything else, with the answer. */
  readonly refused: { readonly id: string; readonly status: number; readonly body: string }[];
  /** Ids whose request failed without a complete answer: not acknowledged, perhaps stored. */
  readonly cut: string[];
}

/** A publisher running in the background until stopped. */
export interface PublishLoop {
  readonly name: string;
  readonly log: PublisherLog;
  /** Stops after the request in flight; resolves when the loop ended, rejects if it failed. */
  stop(): Promise<void>;
  /** Resolves once `count` more updates than now have been acknowledged. */
  ackedMore(count: number, timeoutMs?: number): Promise<void>;
}

/** Options of {@link startPublishLoop}. */
export interface PublishLoopOptions {
  /** Names its ids (`<name>-0`, `<name>-1`, ...). */
  readonly name: string;
  /** Ports of the nodes it publishes to, in turn. */
  readonly ports: readonly number[];
  readonly token: string;
  /** The topic of update `n`. */
  readonly topic: (n: number) => string;
  /** Node to start with (an index into `ports`). Default 0. */
  readonly firstNode?: number;
}

/**
 * Publishes `<name>-0`, `<name>-1`, ... (data = id), one at a time, to each
 * node in turn, until stopped. Never retries an id: a refused or cut update
 * stays refused or cut, so every id is sent once.
 */
export function startPublishLoop(options: PublishLoopOptions): PublishLoop {
  const log: PublisherLog = { acked: [], refused: [], cut: [] };
  const agents = options.ports.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  let stopped = false;
  const run = (async () => {
    try {
      for (let n = 0; !stopped; n++) {
        const id = `${options.name}-${n}`;
        const node = ((options.firstNode ?? 0) + n) % options.ports.length;
        const form = new URLSearchParams({ topic: options.topic(n), id, data: id });
        let answer: Answer;
        try {
          answer = await post(agents[node]!, options.ports[node]!, options.token, form);
        } catch {
          log.cut.push(id);
          await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS));
          continue;
        }
        if (answer.status === 200 && answer.body === id) log.acked.push(id);
        else {
          log.refused.push({ id, status: answer.status, body: answer.body });
          await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS));
        }
      }
    } finally {
      for (const agent of agents) agent.destroy();
    }
  })();
  run.catch(() => {});
  return {
    name: options.name,
    log,
    stop() {
      stopped = true;
      return run;
    },
    ackedMore(count, timeoutMs = 10_000) {
      const target = log.acked.length + count;
      return waitFor(
        () => log.acked.length >= target,
        `${options.name} to have ${target} acknowledged publishes`,
        timeoutMs,
        () =>
          `acked ${log.acked.length}, refused ${log.refused.length} (last: ${JSON.stringify(log.refused.at(-1))}), cut ${log.cut.length}`,
      );
    },
  };
}

/** Where `actual` first departs from `expected`; undefined when they are equal. */
export function firstDifference(
  actual: readonly string[],
  expected: readonly string[],
): string | undefined {
  const shared = Math.min(actual.length, expected.length);
  for (let i = 0; i < shared; i++) {
    if (actual[i] !== expected[i]) {
      const around = (list: readonly string[]) => list.slice(Math.max(0, i - 2), i + 3).join(' ');
      return `at ${i}: got [${around(actual)}], expected [${around(expected)}]`;
    }
  }
  if (actual.length === expected.length) return undefined;
  const longer = actual.length > expected.length ? actual : expected;
  return `got ${actual.length} ids, expected ${expected.length}; the longer goes on with ${longer.slice(shared, shared + 3).join(' ')}`;
}

/** The ids that occur more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => seen.has(id) || !seen.add(id));
}
