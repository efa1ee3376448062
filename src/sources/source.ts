/**
 * Sources are publishers inside the hub: the demo simulator, SQL pollers.
 * Each one publishes tile updates through the same path as an HTTP publish
 * (the store orders and keeps them), reports its health for logs and
 * `/healthz`, and stops cleanly before the store closes.
 */
import type { LocalUpdate } from '../mercure/hub.js';

/** Publishes one update; resolves with its id once stored, rejects when the store cannot take it. */
export type Publish = (update: LocalUpdate) => Promise<string>;

/** How a source is doing, for `/healthz` and the logs. */
export interface SourceHealth {
  /** False while the source cannot read its data (its database is unreachable). */
  readonly ok: boolean;
  /** One line saying what it is doing or what is wrong. */
  readonly detail: string;
}

/** A publisher running inside the hub. */
export interface Source {
  /** Its name in logs and `/healthz`: the key under `sources:`, or `demo`. */
  readonly name: string;
  /**
   * Starts publishing with `publish`. Returns at once: the source runs on its
   * own timer, never throws from it, and logs what goes wrong. Starting twice
   * is an error.
   */
  start(publish: Publish): void;
  /** Stops its timer and waits for the work in flight; nothing is published after it resolves. */
  stop(): Promise<void>;
  /** Its health now. */
  health(): SourceHealth;
}

/**
 * What sources log through: the pino logger's shape (fields, then message),
 * so the server passes its logger's child as is.
 */
export interface SourceLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything: the default when none is given. */
export const SILENT_LOGGER: SourceLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
