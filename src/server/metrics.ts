/**
 * `/metrics` in Prometheus text format (prom-client), one registry per
 * server so tests and several servers in one process never share counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

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
}

/** Creates the metrics in a fresh registry, with Node's process metrics beside them. */
export function createMetrics(): HubMetrics {
  const registry = new Registry();
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
  };
}
