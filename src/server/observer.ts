/**
 * What happens in the hub, told twice: one log line per subscribe,
 * unsubscribe, refusal and error (pino), and the metrics behind `/metrics`.
 */
import type { Logger } from 'pino';
import type { HubObserver } from '../mercure/context.js';
import type { HubMetrics } from './metrics.js';

/** An observer that logs through `logger` and counts in `metrics`. */
export function createObserver(logger: Logger, metrics: HubMetrics): HubObserver {
  return {
    subscribed() {
      metrics.subscribers.inc();
      metrics.subscribersTotal.inc();
    },
    unsubscribed(_subscriber, reason) {
      metrics.subscribers.dec();
      if (reason === 'dropped') metrics.dropped.inc();
    },
    delivered(deliveries, bytes) {
      metrics.deliveries.inc(deliveries);
      metrics.bytesWritten.inc(bytes);
    },
    caughtUp(_subscriber, replayed, reset) {
      if (replayed > 0) metrics.replayed.inc(replayed);
      if (reset) metrics.resets.inc();
    },
    published() {
      metrics.published.inc();
    },
    opened(info) {
      logger.info({ event: 'subscribe', ...info }, 'subscribe');
    },
    closed(info, reason) {
      logger.info({ event: 'unsubscribe', subscriber: info.subscriber, reason }, 'unsubscribe');
    },
    refused(req, error) {
      metrics.refusals.inc({ code: error.code });
      logger.warn(
        {
          event: 'refusal',
          code: error.code,
          status: error.status,
          method: req.method,
          path: req.url?.split('?')[0],
          remote: req.socket.remoteAddress,
        },
        error.message,
      );
    },
    catchUpFailed(_subscriber, error) {
      logger.warn(
        { event: 'replay-failed', code: error.code },
        `a subscriber's replay could not be read, so its stream was ended with a retry: ${error.message}`,
      );
    },
    error(error) {
      metrics.errors.inc();
      logger.error({ event: 'error', err: error }, 'unexpected error');
    },
  };
}
