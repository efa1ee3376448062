/**
 * Many topics: 10,000 subscribers each on its own topic plus one on `*`,
 * updates published to random topics. Each update is due to two
 * subscribers, so what it costs must not grow with the 10,000 others: the
 * engine's topic index finds them by topic instead of running every
 * subscriber's filter.
 *
 * Two parts. Over HTTP, `andon serve` with the subscribers on raw sockets
 * (`topic-subscribers.ts`, and the load client for `*`), publishers POSTing
 * to random topics: delivered/s at saturation and the `*` subscriber's
 * latency at saturation and at a fixed rate. In-process, the engine's cost
 * per event with 10,000 fake sinks, indexed (as the hub subscribes them now)
 * against scanned (as it did before the index): the before and after.
 */

import { type DispatchCost, measureDispatch } from '../lib/dispatch-cost.js';
import { eventTopic } from '../lib/drafts.js';
import { hubKey, hubPublisher } from '../lib/hub-publisher.js';
import type { LatencySummary } from '../lib/load/histogram.js';
import { type LoadStats, startLoad } from '../lib/load/load.js';
import { acquireBenchLock } from '../lib/load/lock.js';
import { startClosedLoop, startFixedRate } from '../lib/load/publishers.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import type { Table } from '../lib/table.js';
import { formatCount, formatDuration, formatRatio } from '../lib/table.js';
import { startTopicSubscribers, type TopicStats } from '../lib/topic-subscribers.js';
import { startAndon } from '../peers/andon.js';

/** Subscribers, each on its own topic. */
const SUBSCRIBERS = { quick: 10_000, full: 10_000 } as const;
/** Connections opened per second while ramping the topic subscribers. */
const RAMP_PER_SECOND = 5_000;
/** Each measurement window, in ms; a warm-up of the same publishers runs before the first. */
const WINDOW_MS = { quick: 2_000, full: 10_000 } as const;
const WARMUP_MS = { quick: 1_000, full: 3_000 } as const;
/** Publishes in flight at saturation: concurrent HTTP publishers on keep-alive connections. */
const PUBLISHERS = 32;

/** The fixed rate, updates/s: well below saturation, so latency is not queueing. */
const FIXED_RATE = 1_000;
/** In-process: events per configuration. A scan costs ~0.5 ms per event at 10,000 subscribers. */
const DISPATCH_EVENTS = {
  quick: { index: 10_000, scan: 500, none: 10_000 },
  full: { index: 100_000, scan: 5_000, none: 100_000 },
} as const;
const BATCH_SIZES = [1, 10, 100] as const;

const HUB_PATH = '/.well-known/mercure';

interface HttpRow {
  readonly label: string;
  readonly published: number;
  readonly publishErrors: number;
  readonly updatesPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly star: LatencySummary;
  readonly topics: LatencySummary;
  readonly serverCores: number;
  readonly clientCores: number;
  readonly lostOrRefused: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function overHttp(context: BenchContext, subscribers: number) {
  const mode = context.full ? 'full' : 'quick';
  const { key, args } = hubKey();
  const hub = await startAndon({ args, log: context.log });
  const url = new URL(hub.url);
  const publisher = await hubPublisher(hub.url, key, PUBLISHERS);
  const topicPrefix = encodeURIComponent(eventTopic(0, 1).slice(0, -1));
  const topics = await startTopicSubscribers(
    {
      host: url.hostname,
      port: Number(url.port),
      pathTemplate: `${HUB_PATH}?topic=${topicPrefix}{i}`,
      count: subscribers,
      rampPerSecond: RAMP_PER_SECOND,
    },
    context.log,
  );
  let star: Awaited<ReturnType<typeof startLoad>> | undefined;
  try {
    context.log(`many-topics: opening ${formatCount(subscribers)} subscribers, one per topic`);
    const opened = await topics.ready((subscribers / RAMP_PER_SECOND) * 1000 + 30_000);
    if (opened.failed > 0) throw new Error(`${opened.failed} topic subscribers failed to open`);
    star = await startLoad({ url: `${hub.url}${HUB_PATH}?topic=*`, connections: 1 });
    await star.ready();
    let n = 0;
    const random = () => eventTopic(Math.floor(Math.random() * subscribers), subscribers);
    const publishOne = (data: string) => {
      n++;
      return publisher.publish(random(), data);
    };
    context.log('many-topics: warm-up');
    const warm = startClosedLoop({
      publishOne,
      concurrency: PUBLISHERS,
      maxDurationMs: WARMUP_MS[mode],
    });
    await sleep(WARMUP_MS[mode]);
    await warm.stop();

    const measure = async (
      label: string,
      run: () => Promise<{ published: number; errors: number }>,
    ) => {
      context.log(`many-topics: ${label}`);
      await sleep(200);
      await Promise.all([topics.reset(), star!.reset()]);
      const cpu0 = hub.cpuMs();
      const result = await run();
      const [t, s]: [TopicStats, LoadStats] = await Promise.all([topics.stats(), star!.stats()]);
      const elapsedS = s.elapsedMs / 1000;
      const row: HttpRow = {
        label,
        published: result.published,
        publishErrors: result.errors,
        updatesPerSecond: result.published / elapsedS,
        deliveredPerSecond: (t.events + s.events) / elapsedS,
        star: s.latency,
        topics: t.latency,
        serverCores: (hub.cpuMs() - cpu0) / s.elapsedMs,
        clientCores: (t.cpuMs + s.cpuMs) / s.elapsedMs,
        lostOrRefused: t.failed + s.errors,
      };
      return row;
    };
    const rows: HttpRow[] = [];
    rows.push(
      await measure(`saturation, ${PUBLISHERS} publishers`, async () => {
        const loop = startClosedLoop({
          publishOne,
          concurrency: PUBLISHERS,
          maxDurationMs: WINDOW_MS[mode],
        });
        await sleep(WINDOW_MS[mode]);
        const summary = await loop.stop();
        return { published: summary.published, errors: summary.errors };
      }),
    );
    rows.push(
      await measure(`fixed rate, ${formatCount(FIXED_RATE)} updates/s`, async () => {
        const fixed = startFixedRate({
          publishOne,
          perSecond: FIXED_RATE,
          durationMs: WINDOW_MS[mode],
        });
        await fixed.done;
        // Let the last updates arrive before the window closes.
        await sleep(100);
        const summary = await fixed.stop();
        return { published: summary.published, errors: summary.errors };
      }),
    );
    return { rows, publishedTotal: n, serverRssBytes: hub.rssBytes() };
  } finally {
    publisher.close();
    await star?.close();
    await topics.close();
    await hub.stop();
  }
}

function latencyCells(l: LatencySummary): string[] {
  return [formatDuration(l.p50), formatDuration(l.p99), formatDuration(l.max)];
}

function httpTable(subscribers: number, rows: readonly HttpRow[]): Table {
  return {
    title: `Over HTTP: ${formatCount(subscribers)} subscribers on their own topic + 1 on *, updates to random topics`,
    columns: [
      'load',
      'updates/s',
      'delivered/s',
      '* p50',
      '* p99',
      '* max',
      'topic p50',
      'topic p99',
      'server CPU',
      'client CPU',
    ],
    rows: rows.map((r) => [
      r.label,
      formatCount(r.updatesPerSecond),
      formatCount(r.deliveredPerSecond),
      ...latencyCells(r.star),
      formatDuration(r.topics.p50),
      formatDuration(r.topics.p99),
      `${r.serverCores.toFixed(2)} cores`,
      `${r.clientCores.toFixed(2)} cores`,
    ]),
  };
}

async function dispatchCosts(context: BenchContext, subscribers: number): Promise<DispatchCost[]> {
  const sizes = DISPATCH_EVENTS[context.full ? 'full' : 'quick'];
  const costs: DispatchCost[] = [];
  for (const batch of BATCH_SIZES) {
    for (const mode of ['none', 'index', 'scan'] as const) {
      context.log(`many-topics: in-process dispatch, ${mode}, batches of ${batch}`);
      costs.push(await measureDispatch(mode, subscribers, batch, sizes[mode]));
    }
  }
  return costs;
}

function dispatchTable(subscribers: number, costs: readonly DispatchCost[]): Table {
  const rows = BATCH_SIZES.map((batch) => {
    const of = (mode: DispatchCost['mode']) =>
      costs.find((c) => c.mode === mode && c.batchSize === batch)!;
    const floor = of('none').perEventUs;
    const index = of('index').perEventUs;
    const scan = of('scan').perEventUs;
    const us = (v: number) => formatDuration(v / 1000);
    return [
      String(batch),
      us(floor),
      us(index),
      us(scan),
      us(Math.max(0, index - floor)),
      us(Math.max(0, scan - floor)),
      formatRatio((scan - floor) / Math.max(index - floor, 0.01)),
    ];
  });
  return {
    title: `In-process: engine cost per event, ${formatCount(subscribers)} subscribers on their own topic + 1 on *, fake sinks`,
    columns: [
      'events per tick',
      'no subscribers',
      'topic index',
      'filter scan',
      'index − floor',
      'scan − floor',
      'scan ÷ index',
    ],
    rows,
  };
}

async function measureAll(context: BenchContext): Promise<ScenarioResult> {
  const mode = context.full ? 'full' : 'quick';
  const subscribers = SUBSCRIBERS[mode];
  const costs = await dispatchCosts(context, subscribers);
  const http = await overHttp(context, subscribers);
  const lost = http.rows.reduce((sum, r) => sum + r.lostOrRefused + r.publishErrors, 0);
  return {
    tables: [httpTable(subscribers, http.rows), dispatchTable(subscribers, costs)],
    notes: [
      `Over HTTP: andon serve --store memory; subscribers are anonymous Mercure subscriptions on raw sockets in two child processes; updates (~110 bytes on the wire) are POSTed with a JWT over keep-alive connections. Each update is due to 2 subscribers (its topic's and *), so delivered/s is about twice updates/s: HTTP publishing, not fan-out, is the bound here.`,
      'Latency runs from the publisher stamping the update (just before its POST) to the subscriber reading it; the harness, the hub and the clients share the machine\u2019s cores.',
      `In-process: Engine over a memory store, subscribers attached as the hub attaches them, sinks that accept every write; the time per event covers append, flush and writes, over ${DISPATCH_EVENTS[mode].index} events (${DISPATCH_EVENTS[mode].scan} for the scan). "topic index": exact topics passed as \`topics\` (the hub now); "filter scan": the same subscribers with a selector filter only (the hub before the index), each filter run for every event. "no subscribers" is the harness floor (append and a tick).`,
      lost === 0
        ? 'Every subscriber stayed connected and every publish was accepted.'
        : `${lost} subscribers dropped or publishes refused: see the JSON.`,
    ],
    data: { subscribers, http, dispatch: costs, publishers: PUBLISHERS, fixedRate: FIXED_RATE },
  };
}

/** Runs holding the machine's benchmark lock, so no other benchmark measures at the same time. */
async function run(context: BenchContext): Promise<ScenarioResult> {
  const release = await acquireBenchLock(context.log);
  try {
    return await measureAll(context);
  } finally {
    release();
  }
}

/** The many-topics scenario. */
export const manyTopics: Scenario = {
  name: 'many-topics',
  title: 'Many topics: 10,000 subscribers on their own topic and one on *',
  description: `${formatCount(SUBSCRIBERS.quick)} Mercure subscribers each on its own topic plus one on *, updates POSTed to random topics: delivered/s and the * subscriber's latency over HTTP, then the engine's cost per event in-process with the topic index against a filter scan.`,
  run,
};
