/**
 * Publishing an update into the store: the one path of every publish, from
 * HTTP and from inside a process (sources: the simulator, SQL pollers), so
 * each is ordered, kept and delivered the same way. The hub uses it, and so does the primary
 * of `andon serve --workers`, where the sources run once for every worker.
 */
import type { StoredEvent } from '../engine/event.js';
import { AndonError } from '../errors.js';
import type { Store } from '../store/store.js';
import { generateUpdateId } from './uuid.js';

/** An update published from inside the process. */
export interface LocalUpdate {
  /** The canonical topic first, then alternates. */
  readonly topics: readonly string[];
  readonly data: string;
  /** Default: a generated `urn:uuid:` id. */
  readonly id?: string;
  readonly type?: string;
  /** The SSE reconnection time carried with the update, in ms. */
  readonly retry?: number;
  readonly private?: boolean;
}

/**
 * Appends `update` to `store`, conflated per canonical topic. Resolves with
 * its id once stored; rejects with `ANDON_STORE_UNAVAILABLE` (or the store's
 * own code, e.g. `ANDON_INVALID_FIELD`) otherwise. `published` sees the
 * stored event (metrics).
 */
export async function publishLocal(
  store: Store,
  update: LocalUpdate,
  published?: (event: StoredEvent) => void,
): Promise<string> {
  const id = update.id ?? generateUpdateId();
  let stored: StoredEvent[];
  try {
    stored = await store.append([
      {
        id,
        type: update.type,
        data: update.data,
        retry: update.retry,
        topics: update.topics,
        private: update.private,
        key: update.topics[0],
      },
    ]);
  } catch (error) {
    if (error instanceof AndonError) throw error;
    throw new AndonError('ANDON_STORE_UNAVAILABLE', `The update was not stored: ${String(error)}`, {
      cause: error,
    });
  }
  if (published !== undefined) for (const event of stored) published(event);
  return id;
}
