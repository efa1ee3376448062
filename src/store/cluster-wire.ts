/**
 * What the cluster store's two sides say to each other over a process
 * channel (node:cluster IPC), and how events cross it.
 *
 * Node's IPC serializes messages as JSON, where a Buffer does not survive: an
 * event crosses as its fields, and the receiving process builds its wire
 * bytes again (once per process, then shared by all its subscribers). Each
 * side sends at most one message per tick: the worker its calls, the primary
 * the events appended in that tick followed by its replies, so a worker
 * always sees an event through `watch` no later than in a reply.
 */
import type { Serializable } from 'node:child_process';
import { draftFields, type EventDraft, type StoredEvent } from '../engine/event.js';
import { AndonError, type AndonErrorCode, ERROR_CODES } from '../errors.js';
import { encodeEvent } from '../sse/encoder.js';

/** A message channel between two processes: a cluster worker, or `process` inside one. */
export interface ClusterChannel {
  /** Sends one message; it is serialized (JSON) and delivered in order. */
  send(message: unknown): void;
  /** Registers a listener for every message received; returns a function that removes it. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Registers a listener for the channel's end (the other process is gone). */
  onClose(listener: () => void): () => void;
}

/** Tags the store's messages apart from anything else sent on the same channel. */
export const STORE_TAG = 'andon-store';

/** An event as it crosses the channel: a stored event without its bytes. */
export type WireEvent = Omit<StoredEvent, 'bytes'>;

/** The operations a worker asks the primary for. Filters stay in the worker: they are closures. */
export type StoreCall =
  | { readonly seq: number; readonly op: 'append'; readonly drafts: readonly EventDraft[] }
  | { readonly seq: number; readonly op: 'read'; readonly after: number; readonly limit: number }
  | { readonly seq: number; readonly op: 'resolve'; readonly id: string }
  | { readonly seq: number; readonly op: 'latest' }
  | { readonly seq: number; readonly op: 'head' }
  | { readonly seq: number; readonly op: 'prune'; readonly now: number | undefined };

/** An error as it crosses the channel. */
export interface WireError {
  readonly code: string | undefined;
  readonly message: string;
}

/** The answer to one call. Appended events are positions when the same message carries them. */
export type StoreReply =
  | { readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly seq: number; readonly ok: false; readonly error: WireError };

/** Worker to primary: the calls of one tick. */
export interface CallsMessage {
  readonly tag: typeof STORE_TAG;
  readonly calls: readonly StoreCall[];
}

/** Primary to worker: the events appended in one tick (in position order), then the replies. */
export interface EventsMessage {
  readonly tag: typeof STORE_TAG;
  readonly events: readonly WireEvent[];
  readonly replies: readonly StoreReply[];
}

/** True when `message` is one of the store's, of either direction. */
export function isStoreMessage(message: unknown): message is Partial<CallsMessage & EventsMessage> {
  return (
    typeof message === 'object' && message !== null && (message as CallsMessage).tag === STORE_TAG
  );
}

/** The fields of `event` that cross the channel (undefined fields vanish in JSON anyway). */
export function toWire(event: StoredEvent): WireEvent {
  const { bytes: _bytes, ...wire } = event;
  return wire;
}

/** An event received from the channel, with its wire bytes built again. */
export function fromWire(wire: WireEvent): StoredEvent {
  return { ...wire, bytes: encodeEvent(draftFields(wire)) };
}

/** An error (thrown by the store in the primary) as it crosses the channel. */
export function toWireError(error: unknown): WireError {
  const code = (error as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : undefined,
    message: error instanceof Error ? error.message : String(error),
  };
}

/** The error a worker rejects with: the store's own code when it is an Andon code. */
export function fromWireError(error: WireError): AndonError {
  const code: AndonErrorCode =
    error.code !== undefined && error.code in ERROR_CODES
      ? (error.code as AndonErrorCode)
      : 'ANDON_STORE_UNAVAILABLE';
  return new AndonError(code, error.message);
}

/** What {@link processChannel} needs: a node:cluster `Worker`, or `process` inside one. */
export interface ProcessEndpoint {
  send?: ((message: Serializable, callback: (error: Error | null) => void) => unknown) | undefined;
  on(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
  off(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
}

/**
 * A send that fails means the other process is gone (ERR_IPC_CHANNEL_CLOSED,
 * EPIPE): its `disconnect` follows and rejects what waits on it, so the error
 * is not raised again here, where nobody could handle it.
 */
const sent = (_error: Error | null): void => {};

/** A channel over a node:cluster worker (primary side) or over `process` (worker side). */
export function processChannel(endpoint: ProcessEndpoint): ClusterChannel {
  return {
    send(message) {
      // Our messages are plain objects of JSON values.
      endpoint.send?.(message as Serializable, sent);
    },
    onMessage(listener) {
      endpoint.on('message', listener);
      return () => endpoint.off('message', listener);
    },
    onClose(listener) {
      endpoint.on('disconnect', listener);
      return () => endpoint.off('disconnect', listener);
    },
  };
}
