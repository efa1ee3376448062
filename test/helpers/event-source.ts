/**
 * A real EventSource client (the `eventsource` package, as a browser would
 * behave) that records what it receives, with waits that fail loudly.
 */
import { EventSource, type FetchLike } from 'eventsource';
import { DEFAULT_WAIT_MS, waitFor } from './wait.js';

/** One event as the application sees it. */
export interface ReceivedEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

/** Options of {@link EventSourceClient}. */
export interface EventSourceClientOptions {
  /** Event types to record. Default `message` and `reset`. */
  readonly types?: readonly string[];
  /** A Last-Event-ID header for the first connection, as a client resuming from storage sends. */
  readonly lastEventId?: string;
  /**
   * What to keep of each event (default: all of it). Strings from the parser
   * may pin whole network chunks (V8 sliced strings): long runs that measure
   * memory keep only what they check.
   */
  readonly keep?: (event: ReceivedEvent) => ReceivedEvent;
}

/** Header values are byte strings: send the UTF-8 bytes, as browsers do. */
function utf8ByteString(value: string): string {
  return String.fromCharCode(...new TextEncoder().encode(value));
}

export class EventSourceClient {
  readonly source: EventSource;
  readonly events: ReceivedEvent[] = [];
  /** Times the connection opened (more than one after a reconnection). */
  opens = 0;
  /** Error events: the connection ended or failed (`code` is the HTTP status when refused). */
  readonly errors: { code: number | undefined; message: string | undefined }[] = [];

  constructor(url: string, options: EventSourceClientOptions = {}) {
    let first = true;
    const resume = options.lastEventId;
    const fetchWithHeader: FetchLike = (input, init) => {
      const headers = { ...init.headers };
      if (first && resume !== undefined) headers['Last-Event-ID'] = utf8ByteString(resume);
      first = false;
      return fetch(input, { ...init, headers });
    };
    this.source = new EventSource(url, resume === undefined ? {} : { fetch: fetchWithHeader });
    this.source.addEventListener('open', () => {
      this.opens += 1;
    });
    this.source.addEventListener('error', (event) => {
      this.errors.push({ code: event.code, message: event.message });
    });
    const keep = options.keep ?? ((event: ReceivedEvent) => event);
    for (const type of options.types ?? ['message', 'reset']) {
      this.source.addEventListener(type, (event: MessageEvent) => {
        const { data, lastEventId } = event;
        this.events.push(keep({ type: event.type, data: String(data), lastEventId }));
      });
    }
  }

  /** Waits until the connection has opened `count` times in all. */
  waitForOpen(count = 1, timeoutMs: number = DEFAULT_WAIT_MS): Promise<void> {
    return waitFor(() => this.opens >= count, `EventSource open #${count}`, timeoutMs);
  }

  /** Waits until `count` events arrived in all, and returns them. */
  async waitForEvents(
    count: number,
    timeoutMs: number = DEFAULT_WAIT_MS,
  ): Promise<ReceivedEvent[]> {
    await waitFor(
      () => this.events.length >= count,
      `${count} EventSource events`,
      timeoutMs,
      () => `got ${this.events.length}: ${JSON.stringify(this.events.slice(-3))}`,
    );
    return this.events;
  }

  /** Waits until `count` error events arrived in all. */
  waitForError(count = 1, timeoutMs: number = DEFAULT_WAIT_MS): Promise<void> {
    return waitFor(() => this.errors.length >= count, `EventSource error #${count}`, timeoutMs);
  }

  close(): void {
    this.source.close();
  }
}
