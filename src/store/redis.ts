/**
 * The Redis store: history, retained state and cross-node fan-out in Redis
 * (or Valkey) Streams, so several hub processes on one Redis behave as one hub.
 *
 * Appends run one Lua script (`redis-scripts.ts`) that assigns positions,
 * adds the events to a stream, indexes their ids, updates retained state and
 * applies the count retention, atomically. Each process reads new events with
 * one blocking XREAD loop on its own connection and hands them to its
 * listeners (the engine fans them out locally): one Redis connection per
 * process for commands, one for reading, never one per subscriber.
 *
 * When Redis goes away, both connections reconnect with backoff; appends are
 * refused at once with `ANDON_STORE_UNAVAILABLE` (the hub answers 503), never
 * queued and never dropped silently; `health()` reports the outage, and the
 * reader resumes after the last position it delivered once Redis is back.
 */
import { Redis, type RedisOptions } from 'ioredis';
import {
  draftFields,
  type EventDraft,
  retainKey,
  type StoredEvent,
  storeEvent,
} from '../engine/event.js';
import { AndonError, isAndonError } from '../errors.js';
import { encodeEvent } from '../sse/encoder.js';
import { notifyListeners } from './listeners.js';
import { RecentEvents } from './recent-events.js';
import { APPEND_SCRIPT, PRUNE_SCRIPT } from './redis-scripts.js';
import { describeTarget, parseRedisUrl, type RedisTarget } from './redis-url.js';
import { DEFAULT_MAX_RETAINED_TOPICS, DEFAULT_RETENTION } from './retention.js';
import type {
  ReadOptions,
  ReadPage,
  RetainedSnapshot,
  RetentionPolicy,
  Store,
  StoreFilter,
  StoreHead,
  StoreHealth,
  StoreHealthReport,
  StoreListener,
} from './store.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * `redis://[user:password@]host[:port][/db]`, `rediss://` (TLS), or
   * `redis+sentinel://[:password@]host:port[,host:port...]/name[/db]` to
   * follow the primary that Redis Sentinel names for group `name` through failovers.
   */
  readonly url: string;
  /**
   * Replicas that must confirm each append (Redis `WAIT`) before it is
   * acknowledged. Default 0: Redis's answer suffices. With 1 or more, a
   * failover to a confirmed replica loses no acknowledged event; an append
   * not confirmed in time is refused (it is stored on the primary and may
   * still be delivered, once).
   */
  readonly replicas?: number;
  /** How long an append waits for its replicas' confirmation, in ms. Default 1,000. */
  readonly replicaTimeoutMs?: number;
  /**
   * Names the keys (`andon:{<prefix>}:stream`, ...). Hubs sharing a prefix are
   * one hub; different prefixes on one Redis are independent. Default `andon`.
   */
  readonly prefix?: string;
  /** How much history is kept. Default: 100,000 events, 7 days. */
  readonly retention?: Partial<RetentionPolicy>;
  /** Most topics whose latest event is retained; the least recently updated go first. Default 100,000. */
  readonly maxRetainedTopics?: number;
  /** How often the age retention runs, in ms. Default 5,000. */
  readonly pruneIntervalMs?: number;
  /**
   * How long one blocking XREAD waits, in ms. Default 5,000. A reply (even
   * empty) is expected within this plus 5 s; past that the connection is
   * deemed dead and replaced, so a silent network failure is noticed.
   */
  readonly blockMs?: number;
  /**
   * How long a command (an append, a read) may wait for Redis's answer, in
   * ms. Default 5,000. Past it the command fails (an append: 503, it may have
   * been stored) and the connection is replaced: a Redis that hangs is an
   * outage, like one that is gone.
   */
  readonly commandTimeoutMs?: number;
  /** Most delay between reconnection attempts, in ms. Default 2,000. */
  readonly maxReconnectDelayMs?: number;
  /** Called when Redis becomes unreachable or reachable again, and when it lost history. */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Events read per XREAD or XRANGE call. */
const PAGE = 1000;
/** How long an append waits for a new store's reader to learn where it starts. */
const START_WAIT_MS = 5_000;
/** Most events one append script carries: Redis runs a script alone, so it must stay short. */
const MAX_EVENTS_PER_SCRIPT = 1000;
/** Entries removed per prune script call: short enough not to stall Redis. */
const PRUNE_CHUNK = 2000;

interface Watcher {
  readonly listener: StoreListener;
  /** Events at or before this position were appended before the watcher was added. */
  readonly after: number;
}

type Entry = [id: string, fields: string[]];

/** An append waiting for its group's script. */
interface Pending {
  readonly drafts: readonly EventDraft[];
  readonly bytes: readonly Buffer[];
  readonly resolve: (events: StoredEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

/** ioredis's words for a broken connection name its options: say what they mean instead. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // With maxRetriesPerRequest 0, the commands in flight when a connection breaks fail so: they may have run.
  if (error.name === 'MaxRetriesPerRequestError') {
    return 'the connection to Redis broke before it answered; a write may have been stored, and is then delivered once';
  }
  // With commandTimeout: Redis hangs (a partition, a stalled machine).
  if (error.message === 'Command timed out') {
    return 'Redis did not answer in time; a write may have been stored, and is then delivered once';
  }
  // With enableOfflineQueue false, a command sent while disconnected fails so: it did not run.
  if (error.message.startsWith("Stream isn't writeable")) return 'not connected to Redis';
  return error.message;
}

function unavailable(what: string, error: unknown): AndonError {
  const message = reasonOf(error);
  return new AndonError(
    'ANDON_STORE_UNAVAILABLE',
    `The Redis store cannot ${what} (${message.replace(/[.\s]+$/, '')}).`,
    { cause: error },
  );
}

function closedError(): AndonError {
  return new AndonError('ANDON_CLOSED', 'The Redis store is closed.');
}

/** The draft as stored: every field but the id, which has its own stream field. */
function draftJson(draft: EventDraft): string {
  return JSON.stringify({
    type: draft.type,
    data: draft.data,
    retry: draft.retry,
    topics: draft.topics,
    key: draft.key,
    private: draft.private,
  });
}

function eventOf(id: string, position: number, time: number, json: string): StoredEvent {
  const stored = JSON.parse(json) as Omit<EventDraft, 'id'>;
  const draft: EventDraft = { id, ...stored };
  return storeEvent(draft, position, time);
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function entryEvent([streamId, fields]: Entry): StoredEvent {
  return eventOf(
    fieldOf(fields, 'i') ?? '',
    positionOf(streamId),
    Number(fieldOf(fields, 't')),
    fieldOf(fields, 'd') ?? '{}',
  );
}

function positionOf(streamId: string): number {
  return Number(streamId.slice(0, streamId.indexOf('-')));
}

/** Parses a retained value, `position\ntime\nid\njson`. */
function retainedEvent(value: string): StoredEvent {
  const a = value.indexOf('\n');
  const b = value.indexOf('\n', a + 1);
  const c = value.indexOf('\n', b + 1);
  return eventOf(
    value.slice(b + 1, c),
    Number(value.slice(0, a)),
    Number(value.slice(a + 1, b)),
    value.slice(c + 1),
  );
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AndonError(
      'ANDON_INVALID_OPTION',
      `Redis store "${name}" must be an integer of at least ${min}; got ${String(value)}.`,
    );
  }
  return value;
}

/** One connection's state, as health reports it. */
interface Link {
  /** Whether the connection was up when last seen (events); health asks the connection itself. */
  wasUp: boolean;
  reason: string;
  since: number;
}

class RedisStore implements Store, StoreHealth {
  readonly #commands: Redis;
  readonly #reader: Redis;
  readonly #keys: readonly [string, string, string, string, string];
  readonly #retention: RetentionPolicy;
  readonly #maxRetained: number;
  readonly #blockMs: number;
  readonly #where: string;
  readonly #replicas: number;
  readonly #replicaTimeoutMs: number;
  readonly #log: NonNullable<RedisStoreOptions['log']>;
  readonly #watchers = new Set<Watcher>();
  readonly #healthListeners = new Set<(report: StoreHealthReport) => void>();
  readonly #links: { commands: Link; reader: Link };
  readonly #pruneTimer: NodeJS.Timeout;
  /** Resolves once the reader knows where to start: appends wait for it, or their events could be missed. */
  readonly #started: Promise<void>;
  #markStarted: () => void = () => {};
  /** Settles once each connection has tried to connect (succeeded or failed) for the first time. */
  readonly #firstAttempts: Promise<unknown>;
  /** The newest position handed to listeners (or known appended, before the reader started). */
  #fedThrough = 0;
  /** The newest position this process knows exists: its own appends and what it was fed. */
  #knownThrough = 0;
  #reported: boolean | undefined;
  #pruning: Promise<number> | undefined;
  #queue: Pending[] = [];
  /** Events built lately: replays and the feed share them. */
  readonly #recent = new RecentEvents();
  #flushScheduled = false;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const target = parseRedisUrl(options.url);
    const prefix = options.prefix ?? 'andon';
    if (!/^[\w.:-]{1,100}$/.test(prefix)) {
      throw new AndonError(
        'ANDON_INVALID_OPTION',
        `Redis store "prefix" must be 1 to 100 letters, digits, or . _ : -; got "${prefix}".`,
      );
    }
    const tag = `andon:{${prefix}}`;
    this.#keys = [`${tag}:stream`, `${tag}:ids`, `${tag}:latest`, `${tag}:order`, `${tag}:meta`];
    this.#retention = {
      maxEvents: checkCount(
        'retention.maxEvents',
        options.retention?.maxEvents ?? DEFAULT_RETENTION.maxEvents,
        0,
      ),
      maxAgeMs: checkCount(
        'retention.maxAgeMs',
        options.retention?.maxAgeMs ?? DEFAULT_RETENTION.maxAgeMs,
        0,
      ),
    };
    this.#maxRetained = checkCount(
      'maxRetainedTopics',
      options.maxRetainedTopics ?? DEFAULT_MAX_RETAINED_TOPICS,
      1,
    );
    this.#blockMs = checkCount('blockMs', options.blockMs ?? 5000, 1);
    const maxDelay = checkCount('maxReconnectDelayMs', options.maxReconnectDelayMs ?? 2000, 10);
    this.#where = describeTarget(target);
    this.#replicas = checkCount('replicas', options.replicas ?? 0, 0);
    this.#replicaTimeoutMs = checkCount('replicaTimeoutMs', options.replicaTimeoutMs ?? 1000, 1);
    this.#log = options.log ?? (() => {});
    const now = Date.now();
    this.#links = {
      commands: { wasUp: false, reason: 'connecting', since: now },
      reader: { wasUp: false, reason: 'connecting', since: now },
    };
    const base: RedisOptions = {
      // Refuse at once while disconnected: a publisher gets 503, never a queue that may be lost.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A command in flight when the connection broke may have run: it fails, it is not sent twice.
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: true,
      keepAlive: 10_000,
      connectTimeout: 5_000,
      // Backoff with jitter: 50 ms doubling up to maxDelay, so a restarted Redis is not stampeded.
      retryStrategy: (times) =>
        Math.round(Math.min(maxDelay, 50 * 2 ** Math.min(times, 16)) * (0.5 + Math.random() / 2)),
      lazyConnect: false,
      // A primary demoted by a failover answers writes with READONLY: find the new one.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    };
    const commandTimeout = checkCount('commandTimeoutMs', options.commandTimeoutMs ?? 5000, 1);
    this.#commands = connectTo(target, options.url, {
      ...base,
      connectionName: 'andon-commands',
      // Longer than any WAIT for replicas, which is a command too.
      commandTimeout: Math.max(commandTimeout, this.#replicaTimeoutMs + 1000),
    });
    this.#reader = connectTo(target, options.url, {
      ...base,
      connectionName: 'andon-reader',
      enableAutoPipelining: false,
      // A blocking read that outlives its timeout by far means a dead connection.
      commandTimeout: this.#blockMs + 5_000,
    });
    this.#commands.defineCommand('andonAppend', { numberOfKeys: 5, lua: APPEND_SCRIPT });
    this.#commands.defineCommand('andonPrune', { numberOfKeys: 5, lua: PRUNE_SCRIPT });
    this.#firstAttempts = Promise.all([
      this.#watchLink(this.#commands, this.#links.commands),
      this.#watchLink(this.#reader, this.#links.reader),
    ]);
    this.#started = new Promise((resolve) => {
      this.#markStarted = resolve;
    });
    void this.#readLoop();
    this.#pruneTimer = setInterval(
      () => void this.prune().catch(() => {}),
      options.pruneIntervalMs ?? 5000,
    );
    this.#pruneTimer.unref();
  }

  /** Tracks a connection's state; resolves after its first attempt to connect. */
  #watchLink(connection: Redis, link: Link): Promise<void> {
    let attempted: () => void = () => {};
    const firstAttempt = new Promise<void>((resolve) => {
      attempted = resolve;
    });
    const down = (reason: string) => {
      attempted();
      if (link.wasUp || link.reason === 'connecting') link.since = Date.now();
      link.wasUp = false;
      link.reason = reason;
      this.#report();
    };
    connection.on('error', (error: Error & { code?: string }) => {
      // ioredis reconnects by itself; the reason is kept for health and logs. An error
      // reported while the connection is ready (a Sentinel link, a flushed command) is no outage.
      if (this.#closed) return;
      if (connection.status === 'ready') link.reason = error.code ?? error.message;
      else down(error.code ?? error.message);
    });
    connection.on('close', () => {
      if (!this.#closed && link.wasUp) down('connection closed');
    });
    // ioredis gives a connection up ('end') only when told to: unless closing, connect again.
    connection.on('end', () => {
      if (this.#closed) return;
      down('connection ended');
      setTimeout(() => {
        if (!this.#closed && connection.status === 'end') connection.connect().catch(() => {});
      }, 100).unref();
    });
    connection.on('ready', () => {
      attempted();
      link.wasUp = true;
      link.reason = '';
      link.since = Date.now();
      this.#report();
    });
    return firstAttempt;
  }

  /** After a command timed out, the connection is taken as dead and replaced (reconnects). */
  #replaceIfHung(error: unknown): void {
    if (error instanceof Error && error.message === 'Command timed out' && !this.#closed) {
      this.#commands.disconnect(true);
    }
  }

  /** A connection is up when ioredis says it is ready, whatever errors came before. */
  #up(connection: Redis): boolean {
    return connection.status === 'ready';
  }

  /**
   * Waits for the first connection attempts of a new store, then refuses at
   * once while Redis is unreachable: a publisher gets its 503 now, not later.
   */
  async #usable(what: string): Promise<void> {
    if (!this.#up(this.#commands) || !this.#up(this.#reader)) await this.#firstAttempts;
    if (this.#closed) throw closedError();
    // Writes need the reader too: a hub that cannot feed its own subscribers refuses them, as
    // /healthz says; reads need only the command connection.
    const ok = what === 'write' ? this.health().ok : this.#up(this.#commands);
    if (!ok) throw unavailable(what, this.health().detail);
  }

  /** True once the reader knows where it starts, false if that takes longer than `ms`. */
  async #startedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.#started.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs and tells health listeners when reachability changes. */
  #report(): void {
    if (this.#closed) return;
    const { commands, reader } = this.#links;
    // A new store connecting is not an outage: the first report waits for both first attempts.
    if (
      this.#reported === undefined &&
      (commands.reason === 'connecting' || reader.reason === 'connecting')
    )
      return;
    const report = this.health();
    if (report.ok === this.#reported) return;
    this.#reported = report.ok;
    if (report.ok) this.#log('info', `redis store: ${report.detail}`);
    else this.#log('warn', `redis store: ${report.detail}`);
    for (const listener of this.#healthListeners) listener(report);
  }

  health(): StoreHealthReport {
    if (this.#closed) return { ok: false, detail: 'closed' };
    const { commands, reader } = this.#links;
    const commandsUp = this.#up(this.#commands);
    if (commandsUp && this.#up(this.#reader)) {
      return { ok: true, detail: `redis: connected to ${this.#where}` };
    }
    const broken = commandsUp ? reader : commands;
    return {
      ok: false,
      detail: `redis: ${this.#where} unreachable since ${new Date(broken.since).toISOString()} (${broken.reason}); publishes are refused until it is back`,
    };
  }

  watchHealth(listener: (report: StoreHealthReport) => void): () => void {
    this.#healthListeners.add(listener);
    return () => this.#healthListeners.delete(listener);
  }

  /**
   * Reads new events with one blocking XREAD at a time and feeds them to the
   * listeners. On failure it waits for the reader to reconnect and goes on from
   * the last position it fed, so nothing appended meanwhile is skipped.
   */
  async #readLoop(): Promise<void> {
    let started = false;
    let failures = 0;
    while (!this.#closed) {
      try {
        // Commands sent while disconnected fail at once: wait for the connection instead.
        if (this.#reader.status !== 'ready') await this.#readerReady();
        if (this.#closed) return;
        if (!started) {
          const seq = await this.#reader.hget(this.#keys[4], 'seq');
          this.#fedThrough = Math.max(this.#knownThrough, seq === null ? 0 : Number(seq));
          this.#knownThrough = this.#fedThrough;
          started = true;
          this.#markStarted();
        } else if (failures > 0) {
          await this.#checkContinuity();
        }
        const reply = (await this.#reader.xread(
          'COUNT',
          PAGE,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          this.#keys[0],
          `${this.#fedThrough}-0`,
        )) as [string, Entry[]][] | null;
        failures = 0;
        if (reply === null || this.#closed) continue;
        const entries = reply[0]?.[1] ?? [];
        if (entries.length > 0) this.#feed(entries.map((entry) => this.#event(entry)));
      } catch (error) {
        if (this.#closed) return;
        failures++;
        const timedOut = error instanceof Error && /timed out/i.test(error.message);
        // A reply that never came: the connection is dead without having said so.
        if (timedOut) this.#reader.disconnect(true);
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** failures, 1000)));
      }
    }
  }

  /** Resolves when the reader connection is (back) up, or the store closes. */
  #readerReady(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearInterval(poll);
        this.#reader.off('ready', done);
        resolve();
      };
      this.#reader.once('ready', done);
      // The store may close meanwhile: look now and then.
      const poll = setInterval(() => {
        if (this.#closed || this.#reader.status === 'ready') done();
      }, 250);
    });
  }

  /** After an outage: warns when Redis came back without the events this process delivered. */
  async #checkContinuity(): Promise<void> {
    const seq = await this.#reader.hget(this.#keys[4], 'seq');
    const newest = seq === null ? 0 : Number(seq);
    if (newest < this.#fedThrough) {
      this.#log(
        'error',
        `redis store: Redis at ${this.#where} came back without the history this hub delivered (its newest position is ${newest}, this hub delivered up to ${this.#fedThrough}): its data was lost or flushed; live delivery goes on with new events, older Last-Event-IDs now get a reset. Run Redis with appendonly yes to keep history across restarts.`,
      );
    }
  }

  #feed(events: StoredEvent[]): void {
    const last = events[events.length - 1]!.position;
    this.#fedThrough = last;
    if (last > this.#knownThrough) this.#knownThrough = last;
    for (const watcher of this.#watchers) {
      if (events[0]!.position > watcher.after) notifyListeners([watcher.listener], events);
      else {
        const fresh = events.filter((event) => event.position > watcher.after);
        if (fresh.length > 0) notifyListeners([watcher.listener], fresh);
      }
    }
  }

  append(drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    if (this.#closed) return Promise.reject(closedError());
    if (drafts.length === 0) return Promise.resolve([]);
    let bytes: Buffer[];
    try {
      // A draft that cannot be encoded is refused before anything is written.
      bytes = drafts.map((draft) => encodeEvent(draftFields(draft)));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writable().then(
      () =>
        new Promise<StoredEvent[]>((resolve, reject) => {
          this.#queue.push({ drafts, bytes, resolve, reject });
          if (!this.#flushScheduled) {
            this.#flushScheduled = true;
            setImmediate(() => this.#flush());
          }
        }),
    );
  }

  /** Resolves when appends can be sent; rejects with the reason they cannot. */
  async #writable(): Promise<void> {
    await this.#usable('write');
    if (!(await this.#startedWithin(START_WAIT_MS))) {
      throw unavailable(
        'write',
        new Error(`its reader has not started within ${START_WAIT_MS} ms`),
      );
    }
  }

  /**
   * Sends the appends of one tick as few scripts as possible (group commit):
   * one round trip and one Redis write for a burst of publishes. Scripts are
   * pipelined on one connection, so Redis runs them in queue order.
   */
  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    let group: Pending[] = [];
    let size = 0;
    for (const pending of queue) {
      if (size > 0 && size + pending.drafts.length > MAX_EVENTS_PER_SCRIPT) {
        void this.#send(group);
        group = [];
        size = 0;
      }
      group.push(pending);
      size += pending.drafts.length;
    }
    if (group.length > 0) void this.#send(group);
  }

  async #send(group: readonly Pending[]): Promise<void> {
    const args: (string | number)[] = [this.#retention.maxEvents, this.#maxRetained, 0];
    for (const pending of group) {
      for (const draft of pending.drafts) args.push(draft.id, retainKey(draft), draftJson(draft));
    }
    args[2] = (args.length - 3) / 3;
    let reply: [string, string];
    try {
      if (this.#closed) throw closedError();
      reply = await (
        this.#commands as unknown as {
          andonAppend(...args: (string | number)[]): Promise<[string, string]>;
        }
      ).andonAppend(...this.#keys, ...args);
      if (this.#replicas > 0) {
        const confirmed = await this.#commands.wait(this.#replicas, this.#replicaTimeoutMs);
        if (confirmed < this.#replicas) {
          throw new Error(
            `stored on the primary, but ${confirmed} of the ${this.#replicas} replica(s) required confirmed it within ${this.#replicaTimeoutMs} ms, so a failover could lose it; it may still be delivered, once`,
          );
        }
      }
    } catch (error) {
      this.#replaceIfHung(error);
      const refusal = isAndonError(error, 'ANDON_CLOSED') ? error : unavailable('write', error);
      for (const pending of group) pending.reject(refusal);
      return;
    }
    let position = Number(reply[0]);
    const time = Number(reply[1]);
    for (const pending of group) {
      const stored = pending.drafts.map(
        (draft, i): StoredEvent => ({
          ...draft,
          position: position + i,
          time,
          bytes: pending.bytes[i]!,
        }),
      );
      position += stored.length;
      // Fed back by XREAD moments later: the feed takes these instead of building them again.
      for (const event of stored) this.#recent.add(event);
      pending.resolve(stored);
    }
    if (position - 1 > this.#knownThrough) this.#knownThrough = position - 1;
  }

  async read(after: number, options: ReadOptions): Promise<ReadPage> {
    if (this.#closed) throw closedError();
    await this.#usable('read');
    const { limit, filter } = options;
    const events: StoredEvent[] = [];
    let through = after;
    let gap = false;
    let newest = 0;
    try {
      for (let first = true; ; first = false) {
        const count = filter === undefined ? Math.min(Math.max(limit, 1), PAGE) : PAGE;
        const [range, meta] = (await this.#commands
          .multi()
          .xrange(this.#keys[0], `(${through}-0`, '+', 'COUNT', count)
          .hmget(this.#keys[4], 'pruned_pos', 'seq')
          .exec()) as [[Error | null, Entry[]], [Error | null, (string | null)[]]];
        if (range[0] !== null) throw range[0];
        if (meta[0] !== null) throw meta[0];
        newest = Number(meta[1][1] ?? 0);
        if (first) {
          const pruned = Number(meta[1][0] ?? 0);
          gap = pruned > after;
          // Nothing to read: say where history stands, as the other stores do.
          if (limit <= 0) break;
          if (pruned > through) through = pruned;
        }
        const entries = range[1];
        for (const entry of entries) {
          const event = this.#event(entry);
          through = event.position;
          if (filter === undefined || filter(event)) {
            events.push(event);
            if (events.length >= limit) break;
          }
        }
        if (entries.length < count || events.length >= limit) break;
      }
    } catch (error) {
      if (this.#closed) throw closedError();
      this.#replaceIfHung(error);
      throw unavailable('read', error);
    }
    if (this.#closed) throw closedError();
    return { events, through, end: through >= newest, gap };
  }

  /** The event of a stream entry, built once for every reader (and not at all for an own append). */
  #event(entry: Entry): StoredEvent {
    return this.#recent.get(positionOf(entry[0]), () => entryEvent(entry));
  }

  async resolve(id: string): Promise<number | undefined> {
    if (this.#closed) throw closedError();
    await this.#usable('read');
    try {
      const [found, pruned] = (await this.#commands
        .multi()
        .hget(this.#keys[1], id)
        .hmget(this.#keys[4], 'pruned_id', 'pruned_pos')
        .exec()) as [[Error | null, string | null], [Error | null, (string | null)[]]];
      if (found[0] !== null) throw found[0];
      if (pruned[0] !== null) throw pruned[0];
      if (found[1] !== null) return Number(found[1]);
      // The newest pruned event: a client holding its id misses nothing.
      if (pruned[1][0] === id && pruned[1][1] !== null) return Number(pruned[1][1]);
      return undefined;
    } catch (error) {
      if (this.#closed) throw closedError();
      this.#replaceIfHung(error);
      throw unavailable('read', error);
    }
  }

  async latest(filter?: StoreFilter): Promise<RetainedSnapshot> {
    if (this.#closed) throw closedError();
    await this.#usable('read');
    try {
      const [all, seq] = (await this.#commands
        .multi()
        .hvals(this.#keys[2])
        .hget(this.#keys[4], 'seq')
        .exec()) as [[Error | null, string[]], [Error | null, string | null]];
      if (all[0] !== null) throw all[0];
      if (seq[0] !== null) throw seq[0];
      const events = all[1]
        .map(retainedEvent)
        .filter((event) => filter === undefined || filter(event))
        .sort((a, b) => a.position - b.position);
      return { events, through: seq[1] === null ? 0 : Number(seq[1]) };
    } catch (error) {
      if (this.#closed) throw closedError();
      this.#replaceIfHung(error);
      throw unavailable('read', error);
    }
  }

  async head(): Promise<StoreHead | undefined> {
    if (this.#closed) throw closedError();
    await this.#usable('read');
    try {
      const [seq, id] = await this.#commands.hmget(this.#keys[4], 'seq', 'head_id');
      return seq === null || seq === undefined
        ? undefined
        : { position: Number(seq), id: id ?? '' };
    } catch (error) {
      if (this.#closed) throw closedError();
      this.#replaceIfHung(error);
      throw unavailable('read', error);
    }
  }

  prune(now: number = Date.now()): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    this.#pruning ??= this.#pruneChunks(now).finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async #pruneChunks(now: number): Promise<number> {
    const cutoff = this.#retention.maxAgeMs > 0 ? now - this.#retention.maxAgeMs : 0;
    const run = this.#commands as unknown as {
      andonPrune(...args: (string | number)[]): Promise<number>;
    };
    let total = 0;
    try {
      for (;;) {
        const removed = Number(
          await run.andonPrune(...this.#keys, cutoff, this.#retention.maxEvents, PRUNE_CHUNK),
        );
        total += removed;
        if (removed < PRUNE_CHUNK || this.#closed) return total;
      }
    } catch (error) {
      throw unavailable('prune', error);
    }
  }

  watch(listener: StoreListener): () => void {
    if (this.#closed) throw closedError();
    const watcher: Watcher = { listener, after: this.#knownThrough };
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    this.#watchers.clear();
    this.#recent.clear();
    this.#healthListeners.clear();
    this.#markStarted();
    // The reader is blocked in XREAD: drop it; the command connection finishes what it sent.
    this.#reader.disconnect(false);
    await Promise.allSettled([this.#pruning]);
    try {
      await this.#commands.quit();
    } catch {
      this.#commands.disconnect(false);
    }
  }
}

/** A connection to `target`: one Redis, or whichever primary the Sentinels name. */
function connectTo(target: RedisTarget, url: string, options: RedisOptions): Redis {
  if (target.kind === 'direct') return new Redis(url, options);
  return new Redis({
    ...options,
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    db: target.db,
    ...(target.password === undefined ? {} : { password: target.password }),
    // Sentinels are retried as the data nodes are. A failover is noticed when the old primary
    // drops the connection or answers READONLY; ioredis's failover detector is left off: a
    // failover it detects while a connection is still connecting ends that connection for good.
    sentinelRetryStrategy: options.retryStrategy,
  });
}

/**
 * Creates a Redis store. It connects at once and keeps reconnecting while
 * Redis is away; until connected, appends and reads reject with
 * `ANDON_STORE_UNAVAILABLE`. Throws `ANDON_INVALID_OPTION` for a bad URL or option.
 */
export function createRedisStore(options: RedisStoreOptions): Store & StoreHealth {
  return new RedisStore(options);
}
