/**
 * Andon: live data from servers to screens over Server-Sent Events.
 *
 * The package root exports the library: {@link createStream} for a ready
 * stream, the wire-format functions, and the engine and store seam for those
 * who build their own endpoints.
 */
export type {
  AttachOptions,
  EngineObserver,
  EngineSettings,
  LeaveReason,
} from './engine/engine.js';
export { Engine } from './engine/engine.js';
export type { EventDraft, StoredEvent } from './engine/event.js';
export { HEARTBEAT_BYTES } from './engine/heartbeat.js';
export { encodeResetNotice, RESET_EVENT, type ResetReason } from './engine/replay.js';
export { responseSink, type Sink } from './engine/sink.js';
export type { EventFilter, QueuePolicy, Subscriber } from './engine/subscriber.js';
export { AndonError, type AndonErrorCode, ERROR_CODES, isAndonError } from './errors.js';
export { type CorsOptions, type CorsPolicy, compileCors } from './sse/cors.js';
export {
  assertFieldValue,
  assertRetry,
  type EventFields,
  encodeComment,
  encodeEvent,
  encodeEventText,
  encodeRetry,
  validateEvent,
} from './sse/encoder.js';
export { createIdGenerator } from './sse/ids.js';
export { readLastEventId, STREAM_HEADERS, writeStreamHead } from './sse/response.js';
export {
  createStream,
  type SendFields,
  type SendJSONOptions,
  STREAM_DEFAULTS,
  type Stream,
  type StreamOptions,
} from './sse/stream.js';
export {
  createMemoryStore,
  DEFAULT_MEMORY_CAPACITY,
  type MemoryStoreOptions,
} from './store/memory.js';
export type { Store, StoreListener } from './store/store.js';
