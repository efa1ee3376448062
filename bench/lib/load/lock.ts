/**
 * One benchmark at a time on this machine. Load runs take every core there
 * is; two at once measure each other. `bench/run.ts` holds this lock for a
 * whole run and `startLoad` holds it while its connections are open, so an
 * ad-hoc script using the load client also waits its turn.
 *
 * The lock is a directory (atomic `mkdir`) holding the owner's pid; a lock
 * whose owner is dead is taken over. Re-entrant within a process.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK_DIR = join(tmpdir(), 'andon-bench.lock');
const OWNER_FILE = join(LOCK_DIR, 'pid');
/** How long to wait for another benchmark before going ahead anyway (with a warning), in ms. */
const MAX_WAIT_MS = 15 * 60_000;
const POLL_MS = 250;

let holds = 0;

function ownerAlive(): boolean {
  try {
    const pid = Number(readFileSync(OWNER_FILE, 'utf8'));
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is not ours; ENOENT: the owner file is not written yet.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EPERM' || code === 'ENOENT';
  }
}

function owner(): string {
  try {
    return readFileSync(OWNER_FILE, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** True once this process listens for its exit to release the lock. */
let exitHooked = false;

/**
 * Waits until no other process benchmarks, then holds the lock; resolves with
 * its release function. Gives up waiting after 15 minutes, says so, and goes on.
 */
export async function acquireBenchLock(
  log: (line: string) => void = () => {},
): Promise<() => void> {
  if (holds > 0) {
    holds++;
    return release;
  }
  const deadline = performance.now() + MAX_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(OWNER_FILE, String(process.pid));
      holds = 1;
      // Once per process, however often the lock is taken: the listener only cleans up.
      if (!exitHooked) {
        exitHooked = true;
        process.once('exit', releaseAll);
      }
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!ownerAlive()) {
      rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (performance.now() > deadline) {
      log(`bench lock: still held by pid ${owner()} after 15 minutes; going ahead anyway`);
      holds = 1;
      return () => {
        holds = 0;
      };
    }
    if (!told) {
      log(`bench lock: another benchmark (pid ${owner()}) is running; waiting for it to finish`);
      told = true;
    }
    // Another process holds the lock: there is no event to wait for, so poll.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function release(): void {
  if (holds === 0) return;
  holds--;
  if (holds === 0) releaseAll();
}

function releaseAll(): void {
  holds = 0;
  if (owner() === String(process.pid)) rmSync(LOCK_DIR, { recursive: true, force: true });
}
