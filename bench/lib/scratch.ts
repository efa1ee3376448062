/**
 * Where benchmarks keep their database files. Durable-write figures depend
 * on the disk, so the files must be on the disk the project runs from, not
 * on a RAM-backed tmpfs that makes every fsync free.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeDisk } from './machine.js';

/** The repository root: the disk the project's own data would live on. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** File systems kept in memory: fsync costs nothing there, so durable figures would lie. */
const MEMORY_FILE_SYSTEMS = new Set(['tmpfs', 'ramfs']);

/** A scratch directory and how it was chosen. */
export interface Scratch {
  readonly dir: string;
  /** Why this directory: said in the output. */
  readonly reason: string;
  /** Deletes the directory and everything in it. */
  remove(): void;
}

/**
 * Makes a scratch directory: inside `base` when given, else in the system
 * temp directory when that is on the repository's disk and not tmpfs, else
 * under `bench/.scratch/` in the repository.
 */
export function createScratch(base?: string): Scratch {
  let parent: string;
  let reason: string;
  if (base !== undefined) {
    mkdirSync(base, { recursive: true });
    parent = base;
    reason = 'given with --dir';
  } else {
    const temp = tmpdir();
    const sameDisk = statSync(temp).dev === statSync(REPO_ROOT).dev;
    const inMemory = MEMORY_FILE_SYSTEMS.has(describeDisk(temp).type);
    if (sameDisk && !inMemory) {
      parent = temp;
      reason = `the system temp directory, on the same file system as ${REPO_ROOT}`;
    } else {
      parent = join(REPO_ROOT, 'bench', '.scratch');
      mkdirSync(parent, { recursive: true });
      reason = `inside the repository: ${temp} is ${inMemory ? 'in memory (tmpfs)' : 'on another disk'}`;
    }
  }
  const dir = mkdtempSync(join(parent, 'andon-bench-'));
  return { dir, reason, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
