/**
 * The data of a timed benchmark event: JSON that starts with the publish
 * time, so a receiver finds it without parsing the whole payload:
 * `{"t":1732970000123.456,"n":42,"p":"xxxx"}`. Every peer carries it as the
 * event's `data` unchanged, so the load client measures latency the same way
 * whatever the server.
 */
import { wallClockMs } from './clock.js';

/** What a timed payload starts with; the load client looks for `"t":` after it. */
export const PAYLOAD_PREFIX = '{"t":';

/**
 * Data of about {@link EVENT_WIRE_BYTES} on the wire once a hub frames it with
 * `id: urn:uuid:<36 chars>`, `data: ` and the blank line (58 bytes of framing).
 */
export const DEFAULT_DATA_BYTES = 52;

/** Wire size the benchmark events aim at, as in `bench/lib/drafts.ts`. */
export const EVENT_WIRE_BYTES = 110;

/** Event data stamped with the publish time `t` (default now), sequence `n`, padded to `bytes` when it can be. */
export function timedPayload(n: number, bytes = DEFAULT_DATA_BYTES, t = wallClockMs()): string {
  const head = `${PAYLOAD_PREFIX}${t.toFixed(3)},"n":${n},"p":"`;
  const pad = Math.max(0, bytes - head.length - 2);
  return `${head}${'x'.repeat(pad)}"}`;
}
