/**
 * Vitest global setup: makes sure Chromium is installed for the browser tests.
 * Debian's `chromium` package is used rather than a Playwright download, so
 * the browser comes from the system's package manager, with its security
 * updates. Runs once per `vitest run`, before any test file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser; `launchBrowser` uses it. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** apt-get can take a while on a cold mirror; past this, the setup gives up loudly. */
const APT_TIMEOUT_MS = 10 * 60_000;

function apt(args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync('apt-get', args, {
    encoding: 'utf8',
    timeout: APT_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output };
}

export default function setup(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  console.log(`[chromium setup] ${CHROMIUM_PATH} is missing; installing Debian's chromium.`);
  let install = apt(['install', '-y', 'chromium']);
  if (!install.ok) {
    // A fresh image has no package lists; fetch them and try once more.
    const update = apt(['update']);
    install = update.ok
      ? apt(['install', '-y', 'chromium'])
      : { ok: false, output: `apt-get update failed:\n${update.output}` };
  }
  if (!install.ok || !existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}, and installing it failed. ` +
        `Install it yourself (as root: apt-get update && apt-get install -y chromium), ` +
        `then run the tests again.\n\napt-get said:\n${install.output.slice(-4000)}`,
    );
  }
}
