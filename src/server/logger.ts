/**
 * The server's logger: pino, JSON lines on stdout, one line per event worth
 * knowing (subscribe, unsubscribe, refusal, error, start, stop).
 */
import { type Logger, pino } from 'pino';

/** Creates the logger at `level` (`silent` turns it off). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'andon' }, timestamp: pino.stdTimeFunctions.isoTime });
}
