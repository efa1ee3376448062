/**
 * Events the benchmarks publish: deterministic, so a scenario can name the
 * id of the event it stored at any position without keeping a list, and
 * about the size of a small real update (a price tick, a status change).
 */
import { draftFields, type EventDraft } from '../../src/engine/event.js';
import { encodeEvent } from '../../src/sse/encoder.js';

/** Wire size the benchmark events aim at, in bytes: `id:` and `data:` lines and the blank line. */
export const EVENT_WIRE_BYTES = 110;

/** Scatters `n` over 32 bits (a murmur3 finaliser), so ids land all over the id index, like UUIDs. */
function mix(n: number): number {
  let h = Math.imul(n ^ (n >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/** The public id of the `n`th benchmark event: UUID-shaped and unique for n below 2^32. */
export function eventId(n: number): string {
  const seq = hex(n);
  const noise = hex(mix(n ^ 0x5bd1e995));
  return `${hex(mix(n))}-${seq.slice(0, 4)}-4${seq.slice(4, 7)}-8${seq.slice(7)}${noise.slice(0, 2)}-${noise}${noise.slice(2, 6)}`;
}

/** The topic of the `n`th event, one of `topics` topics in turn. */
export function eventTopic(n: number, topics: number): string {
  return `https://example.com/feeds/${n % topics}`;
}

const PAYLOAD_HEAD = (n: number) =>
  `{"seq":${n},"symbol":"ACME","price":${(100 + (n % 997) / 100).toFixed(2)}`;
/** Bytes of the wire event around the payload: `id: `, the id, LF, `data: `, LF, LF. */
const FRAMING_BYTES = 4 + 36 + 1 + 6 + 2;
/** Bytes the padding field adds around its padding: `,"note":"` and `"}`. */
const PAD_FIELD_BYTES = 11;

/** The `n`th benchmark event: a JSON payload padded so it encodes to about {@link EVENT_WIRE_BYTES}. */
export function benchDraft(n: number, topics = 10): EventDraft {
  const head = PAYLOAD_HEAD(n);
  const pad = Math.max(0, EVENT_WIRE_BYTES - FRAMING_BYTES - head.length - PAD_FIELD_BYTES);
  return {
    id: eventId(n),
    data: `${head},"note":"${'x'.repeat(pad)}"}`,
    topics: [eventTopic(n, topics)],
  };
}

/** The encoded size of {@link benchDraft}(n), in bytes. */
export function wireBytes(n: number): number {
  return encodeEvent(draftFields(benchDraft(n))).length;
}
