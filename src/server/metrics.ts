/**
 * `/metrics` in Prometheus text format (prom-client), one registry per
 * server so tests and several servers in one process never share counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { hasHealth, type Store } from '../store/store.js';

/** The hub's metrics. */
export interface HubMetrics {
  readonly registry: Registry;
  readonly subscribers: Gauge;
  readonly subscribersTotal: Counter;
  readonly published: Counter;
  readonly deliveries: Counter;
  readonly bytesWritten: Counter;
  readonly replayed: Counter;
  readonly resets: Counter;
  readonly dropped: Counter;
  readonly refusals: Counter<'code'>;
  readonly errors: Counter;
  /** 1 while the store can take publishes, 0 during an outage (set by {@link watchStoreHealth}). */
  readonly storeUp: Gauge;
  readonly storeOutages: Counter;
  /** Asked at each scrape for the store's health (set by {@link watchStoreHealth}). */
  readonly storeProbe: { ok?: () => boolean };
}

/** Creates the metrics in a fresh registry, with Node's process metrics beside them. */
export function createMetrics(): HubMetrics {
  const registry = new Registry();
  const storeProbe: { ok?: () => boolean } = {};
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    subscribers: new Gauge({
      name: 'andon_subscribers',
      help: 'Subscribers connected now.',
      registers,
    }),
    subscribersTotal: new Counter({
      name: 'andon_subscribers_total',
      help: 'Subscriptions opened since start.',
      registers,
    }),
    published: new Counter({
      name: 'andon_updates_published_total',
      help: 'Updates published.',
      registers,
    }),
    deliveries: new Counter({
      name: 'andon_updates_delivered_total',
      help: 'Updates delivered, counted once per subscriber that received them.',
      registers,
    }),
    bytesWritten: new Counter({
      name: 'andon_bytes_written_total',
      help: 'Event bytes written to subscribers.',
      registers,
    }),
    replayed: new Counter({
      name: 'andon_events_replayed_total',
      help: 'Events sent from history to reconnecting subscribers.',
      registers,
    }),
    resets: new Counter({
      name: 'andon_resets_total',
      help: 'Reconnections whose Last-Event-ID was unknown (a gap announced with a reset).',
      registers,
    }),
    dropped: new Counter({
      name: 'andon_slow_subscribers_dropped_total',
      help: 'Subscribers disconnected because their queue passed its bound.',
      registers,
    }),
    refusals: new Counter({
      name: 'andon_refusals_total',
      help: 'Requests refused, by error code.',
      labelNames: ['code'],
      registers,
    }),
    errors: new Counter({ name: 'andon_errors_total', help: 'Unexpected errors.', registers }),
    storeUp: new Gauge({
      name: 'andon_store_up',
      help: 'Whether the store can take publishes now (1) or not (0: an outage; publishes get 503).',
      registers,
      collect() {
        if (storeProbe.ok !== undefined) this.set(storeProbe.ok() ? 1 : 0);
      },
    }),
    storeOutages: new Counter({
      name: 'andon_store_outages_total',
      help: 'Times the store became unreachable (a Redis outage, a SQLite write failure).',
      registers,
    }),
    storeProbe,
  };
}

/**
 * Keeps `andon_store_up` and `andon_store_outages_total` up to date: read
 * from the store's health at each scrape, and counted as it changes for a
 * store that reports changes itself (Redis).
 */
export function watchStoreHealth(store: Store, metrics: HubMetrics): void {
  if (!hasHealth(store)) {
    metrics.storeUp.set(1);
    return;
  }
  let up = store.health().ok;
  const note = (ok: boolean) => {
    if (up && !ok) metrics.storeOutages.inc();
    up = ok;
    metrics.storeUp.set(ok ? 1 : 0);
  };
  note(up);
  store.watchHealth?.((report) => note(report.ok));
  // Stores that learn their health when asked (SQLite) are asked at each scrape.
  metrics.storeProbe.ok = () => {
    const ok = store.health().ok;
    note(ok);
    return ok;
  };
}
