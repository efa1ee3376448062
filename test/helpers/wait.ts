/**
 * Waiting without sleeping: every wait is for a condition or an event, and
 * every wait has a timeout that fails with a message saying what never came.
 */

/** Default time a test waits for something before failing. */
export const DEFAULT_WAIT_MS = 5000;

/** Interval between checks of a polled condition: short enough not to slow tests down. */
const POLL_MS = 5;

/**
 * Resolves once `condition()` is true (or resolves true), checking it every
 * few milliseconds. Rejects after `timeoutMs` with `what` (and the last
 * detail, when given) in the message.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number = DEFAULT_WAIT_MS,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      const more = detail === undefined ? '' : ` (${detail()})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${more}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Resolves or rejects like `promise`, or rejects after `timeoutMs` naming `what`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs: number = DEFAULT_WAIT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after the current I/O phase: lets queued callbacks (the engine's flush) run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
