/**
 * The board feed's envelope. A Mercure update on the wire carries no topic,
 * yet a board keys its tiles by topic (and an update with empty data, which
 * deletes a tile, carries nothing else). The board feed therefore sends each
 * update wrapped: `{"topic": "<canonical topic>", "data": "<the update's data>"}`.
 * Pure: shared by the server (wrapping) and the browser (unwrapping).
 */

/** An update with its topic. */
export interface TopicUpdate {
  /** The update's canonical (first) topic. */
  readonly topic: string;
  /** The update's data, as published. */
  readonly data: string;
}

/** The feed's data for an update. */
export function wrapUpdate(topic: string, data: string): string {
  return JSON.stringify({ topic, data });
}

/** The update inside a feed event's data, or undefined when it is not an envelope. */
export function unwrapUpdate(text: string): TopicUpdate | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { topic, data } = value as { topic?: unknown; data?: unknown };
  return typeof topic === 'string' && typeof data === 'string' ? { topic, data } : undefined;
}
