/**
 * Default event ids: monotonic and orderable. An id is the stream's epoch
 * (its start time, base 36) and a sequence number (base 36, zero-padded),
 * for example `mi4x7k2a-0000002s`. Ids of one stream sort as strings in send
 * order; ids of a stream started later sort after them, and a client holding
 * an id from before a restart is told its id is unknown (a reset) instead of
 * being matched to a different event.
 */

/** Width of the sequence part: 36^8 (2.8e12) events before the width grows. */
const SEQUENCE_WIDTH = 8;

/** Returns a generator of monotonic ids for one stream. */
export function createIdGenerator(now: number = Date.now()): () => string {
  const epoch = now.toString(36);
  let sequence = 0;
  return () => {
    sequence += 1;
    return `${epoch}-${sequence.toString(36).padStart(SEQUENCE_WIDTH, '0')}`;
  };
}
