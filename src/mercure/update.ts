/**
 * A Mercure update as a publisher sends it (draft-07 "Publication"), read
 * from the publish form and validated like a hardened hub: every field that
 * becomes an SSE field is checked for injection, topics for control
 * characters and the reserved namespace.
 */
import { AndonError } from '../errors.js';

/** An update, validated. */
export interface Update {
  /** The canonical topic first, then the alternates. */
  readonly topics: readonly string[];
  /** The content; `''` when the form has no `data`. */
  readonly data: string;
  /** True when the form has a `private` field, whatever its value. */
  readonly private: boolean;
  /** The publisher's id, when given. */
  readonly id: string | undefined;
  /** The SSE event type, when given. */
  readonly type: string | undefined;
  /** The SSE reconnection time in ms, when given. */
  readonly retry: number | undefined;
}

/** Longest topic accepted: URLs past 2 KiB break proxies and browsers anyway. */
export const MAX_TOPIC_LENGTH = 2048;
/** Most topics (canonical and alternates) in one update. */
export const MAX_TOPICS_PER_UPDATE = 64;
/** Longest id accepted; ids travel in every reconnection's header. */
export const MAX_ID_LENGTH = 1024;
/** Longest event type accepted. */
export const MAX_TYPE_LENGTH = 256;

/** C0 controls, DEL and C1 controls: never part of a topic, id or event type. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The path prefix the hub reserves for its own topics (subscription events). */
export const RESERVED_TOPIC_PREFIX = '/.well-known/mercure/';

function invalid(message: string): AndonError {
  return new AndonError('ANDON_INVALID_UPDATE', message);
}

function describe(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

/** True when `topic` addresses the hub's reserved namespace, relative or absolute. */
export function isReservedTopic(topic: string): boolean {
  if (topic.startsWith(RESERVED_TOPIC_PREFIX) || topic === '/.well-known/mercure') return true;
  const scheme = topic.indexOf('://');
  if (scheme === -1) return false;
  const path = topic.indexOf('/', scheme + 3);
  return path !== -1 && isReservedTopic(topic.slice(path));
}

/** Checks one topic: length and control characters. Throws `invalidError(message)`. */
export function checkTopic(topic: string, field: string, error = invalid): void {
  if (topic === '') throw error(`The ${field} is empty; give a topic such as an IRI.`);
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw error(`The ${field} is longer than ${MAX_TOPIC_LENGTH} characters.`);
  }
  if (CONTROL.test(topic)) {
    throw error(`The ${field} ${describe(topic)} contains a control character (NUL, CR, LF...).`);
  }
}

/** Builds an {@link Update} from the form's pairs, or throws `ANDON_INVALID_UPDATE` saying why. */
export function readUpdate(pairs: readonly [string, string][]): Update {
  const topics: string[] = [];
  let data: string | undefined;
  let isPrivate = false;
  let id: string | undefined;
  let type: string | undefined;
  let retryText: string | undefined;
  for (const [name, value] of pairs) {
    switch (name) {
      case 'topic':
        topics.push(value);
        break;
      case 'data':
        data ??= value;
        break;
      case 'private':
        isPrivate = true;
        break;
      case 'id':
        id ??= value;
        break;
      case 'type':
        type ??= value;
        break;
      case 'retry':
        retryText ??= value;
        break;
      default:
      // Unknown fields are ignored, as the protocol leaves room for extensions.
    }
  }
  if (topics.length === 0) {
    throw invalid('The update has no "topic" field; send at least one (topic=https://...).');
  }
  if (topics.length > MAX_TOPICS_PER_UPDATE) {
    throw invalid(
      `The update has ${topics.length} topics; at most ${MAX_TOPICS_PER_UPDATE} are accepted.`,
    );
  }
  for (const topic of topics) checkTopic(topic, 'topic');
  for (const topic of topics) {
    if (isReservedTopic(topic)) {
      throw new AndonError(
        'ANDON_RESERVED_TOPIC',
        `The topic ${describe(topic)} lies in ${RESERVED_TOPIC_PREFIX}, which the hub reserves for its own events.`,
      );
    }
  }
  if (id !== undefined) {
    if (id === '') throw invalid('The "id" field is empty; omit it to let the hub generate one.');
    if (id.startsWith('#'))
      throw invalid('The "id" must not start with "#" (reserved for hub-generated ids).');
    if (id.length > MAX_ID_LENGTH)
      throw invalid(`The "id" is longer than ${MAX_ID_LENGTH} characters.`);
    if (CONTROL.test(id)) throw invalid(`The "id" ${describe(id)} contains a control character.`);
    if (id === 'earliest') throw invalid('The "id" "earliest" is reserved by the protocol.');
  }
  if (type !== undefined) {
    if (type.length > MAX_TYPE_LENGTH)
      throw invalid(`The "type" is longer than ${MAX_TYPE_LENGTH} characters.`);
    if (CONTROL.test(type))
      throw invalid(`The "type" ${describe(type)} contains a control character.`);
  }
  let retry: number | undefined;
  if (retryText !== undefined) {
    retry = /^\d{1,10}$/.test(retryText) ? Number(retryText) : Number.NaN;
    if (!Number.isSafeInteger(retry)) {
      throw invalid(`The "retry" ${describe(retryText)} is not a whole number of milliseconds.`);
    }
  }
  return {
    topics,
    data: data ?? '',
    private: isPrivate,
    id,
    type: type === '' ? undefined : type,
    retry,
  };
}
