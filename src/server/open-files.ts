/**
 * The process's open-files limit, which bounds how many subscribers one
 * process can hold (each is a socket). Node has no API for it; on Linux it is
 * read from /proc/self/limits.
 */
import { readFileSync } from 'node:fs';

/** Files kept for everything that is not a subscriber: the listener, stores, logs, publishers. */
export const RESERVED_FILES = 256;

/** Assumed when the limit cannot be read (not Linux): a common default. */
export const FALLBACK_OPEN_FILES = 1024;

/** The soft limit on open files, or undefined when it cannot be read or is unlimited. */
export function openFilesLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === undefined || soft === 'unlimited') return undefined;
    const value = Number(soft);
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Default subscriber limit: just under what the open-files limit allows. */
export function defaultMaxSubscribers(): number {
  const limit = openFilesLimit() ?? FALLBACK_OPEN_FILES;
  return Math.max(1, limit - Math.max(RESERVED_FILES, Math.ceil(limit * 0.02)));
}
