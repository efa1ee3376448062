/**
 * Chromium for the browser tests: Debian's system browser (installed by
 * `test/setup/chromium.ts`) driven by playwright-core, which downloads nothing.
 */
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_PATH } from '../setup/chromium.js';

/**
 * Flags for a quiet, deterministic headless browser: no sandbox (tests run as
 * root in containers), no GPU, and none of the background traffic (updates,
 * sync, QUIC probes) that would add noise to what the page receives.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
] as const;

/**
 * Launches headless Chromium. Each launch gets a fresh, temporary profile
 * (Playwright passes its own `--user-data-dir` and deletes it on close), so
 * tests never share cookies, cache or EventSource state. Close it in teardown.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}
