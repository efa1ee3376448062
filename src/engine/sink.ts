/**
 * The byte sink a subscriber writes to: the seam between the engine and a
 * socket. `write` reports backpressure, so nothing is ever written blindly.
 */
import type { ServerResponse } from 'node:http';

/** Where a subscriber's bytes go. */
export interface Sink {
  /** Writes `chunk`. Returns false when the sink is over its high-water mark: wait for drain. */
  write(chunk: Buffer): boolean;
  /** Calls `listener` once, the next time the sink has drained. */
  onceDrain(listener: () => void): void;
  /** Writes `chunk` if given, then ends the stream gracefully. */
  end(chunk?: Buffer): void;
  /** Drops the connection at once, discarding what is still buffered. */
  destroy(): void;
}

/** A {@link Sink} over an HTTP response whose head has been written. */
export function responseSink(res: ServerResponse): Sink {
  return {
    write: (chunk) => res.write(chunk),
    onceDrain: (listener) => {
      res.once('drain', listener);
    },
    end: (chunk) => {
      if (chunk === undefined) res.end();
      else res.end(chunk);
    },
    destroy: () => {
      res.destroy();
    },
  };
}
