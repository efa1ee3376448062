/**
 * Installing the Debian packages that npm cannot provide (PostgreSQL,
 * Redis, nginx, nchan), for the tests and the benchmarks: `apt-get install`
 * when what is needed is missing, `apt-get update` and once more if that
 * fails (a fresh image has no package lists), and a sentence saying what to
 * run by hand when it still fails. Runs as root (the project's machines do).
 */
import { spawnSync } from 'node:child_process';

/** apt-get on a cold mirror can take minutes; past this the install gives up loudly. */
const APT_TIMEOUT_MS = 10 * 60_000;

function apt(args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync('apt-get', args, {
    encoding: 'utf8',
    timeout: APT_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

/** What {@link ensurePackages} installs, and how it knows it is there. */
export interface PackageNeed {
  /** Debian packages to install, e.g. `['nginx-light', 'libnginx-mod-nchan']`. */
  readonly packages: readonly string[];
  /** True once what is needed is installed (checked before and after). */
  readonly installed: () => boolean;
  /** Who needs them, for the error: "The deployment tests need", "The nchan peer needs". */
  readonly neededBy: string;
  /** What to do after installing by hand. Default "run the tests again". */
  readonly rerun?: string;
}

/**
 * Installs `need.packages` unless `need.installed()` already holds; throws
 * with apt-get's words and the command to run by hand if that fails.
 */
export function ensurePackages(need: PackageNeed): void {
  if (need.installed()) return;
  const install = ['install', '-y', '--no-install-recommends', ...need.packages];
  let result = apt(install);
  if (!result.ok) {
    const update = apt(['update']);
    result = update.ok
      ? apt(install)
      : { ok: false, output: `apt-get update failed:\n${update.output}` };
  }
  if (!result.ok || !need.installed()) {
    const names = need.packages.join(' ');
    throw new Error(
      `${need.neededBy} Debian's ${names}, and installing ` +
        `${need.packages.length > 1 ? 'them' : 'it'} failed. Install ${need.packages.length > 1 ? 'them' : 'it'} ` +
        `(as root: apt-get update && apt-get install -y ${names}), then ${need.rerun ?? 'run the tests again'}.` +
        `\n\napt-get said:\n${result.output.slice(-4000)}`,
    );
  }
}
