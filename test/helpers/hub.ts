/**
 * An in-process Andon server with its Mercure hub on 127.0.0.1, port 0, for
 * tests: settings default to a hub with one HS256 key, overridable per test,
 * plus helpers to sign tokens and publish.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServeArgs, type ServeConfig } from '../../src/cli/settings.js';
import { signToken } from '../../src/mercure/auth.js';
import { createLogger } from '../../src/server/logger.js';
import { type AndonServer, createAndonServer } from '../../src/server/server.js';

/** The key test hubs sign and verify with unless a test says otherwise. */
export const TEST_KEY = 'test-key-that-is-long-enough-for-hs256!';

/** A running test hub. */
export interface TestHub {
  readonly server: AndonServer;
  /** `http://127.0.0.1:PORT`. */
  readonly base: string;
  /** `http://127.0.0.1:PORT/.well-known/mercure`. */
  readonly hubUrl: string;
  readonly config: ServeConfig;
  /** A publisher token for `selectors` (default `*`). */
  publisherToken(selectors?: readonly string[]): Promise<string>;
  /** A subscriber token for `selectors`, with an optional payload and lifetime in seconds. */
  subscriberToken(
    selectors: readonly string[],
    options?: { payload?: unknown; expiresIn?: number },
  ): Promise<string>;
  /** Publishes a form; resolves with the response status and body text. */
  publish(
    fields: Record<string, string | readonly string[]>,
    token?: string | null,
  ): Promise<{ status: number; body: string; headers: Headers }>;
  close(): Promise<void>;
}

/** Options of {@link startHub} beyond flags. */
export interface TestHubOptions {
  /**
   * A config file's content (e.g. `{ boards: {...} }`), written to a
   * temporary JSON file passed with `--config` and removed on close.
   */
  readonly config?: Record<string, unknown>;
}

/** Writes `config` to a fresh temporary JSON file; returns its path and a function removing it. */
export function writeTestConfig(config: Record<string, unknown>): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'andon-config-'));
  const path = join(dir, 'andon.json');
  writeFileSync(path, JSON.stringify(config));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts a hub configured by `andon serve` flags (`args`), on port 0, silent,
 * with {@link TEST_KEY} unless `args` set keys themselves.
 */
export async function startHub(
  args: readonly string[] = [],
  options: TestHubOptions = {},
): Promise<TestHub> {
  const file = options.config === undefined ? undefined : writeTestConfig(options.config);
  const configArgs = file === undefined ? [] : ['--config', file.path];
  const command = parseServeArgs(
    ['--host', '127.0.0.1', '--port', '0', '--jwt-key', TEST_KEY, ...configArgs, ...args],
    {
      ANDON_LOG_LEVEL: process.env.ANDON_TEST_LOG_LEVEL ?? 'silent',
    },
  );
  if (command.help) throw new Error('unexpected --help');
  const { config } = command;
  let server: AndonServer;
  let base: string;
  try {
    server = createAndonServer(config, createLogger(config.logLevel));
    base = await server.listen();
  } finally {
    // Read once at start: the file is not needed past it.
    file?.remove();
  }
  const hubUrl = `${base}/.well-known/mercure`;
  return {
    server,
    base,
    hubUrl,
    config,
    publisherToken: (selectors = ['*']) => signToken({ key: TEST_KEY, publish: selectors }),
    subscriberToken: (selectors, options = {}) =>
      signToken({
        key: TEST_KEY,
        subscribe: selectors,
        ...(options.payload === undefined ? {} : { payload: options.payload }),
        ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
      }),
    async publish(fields, token) {
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(fields)) {
        for (const item of typeof value === 'string' ? [value] : value) form.append(name, item);
      }
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-www-form-urlencoded',
      };
      const bearer =
        token === undefined ? await signToken({ key: TEST_KEY, publish: ['*'] }) : token;
      if (bearer !== null) headers.Authorization = `Bearer ${bearer}`;
      const response = await fetch(hubUrl, { method: 'POST', headers, body: form });
      return { status: response.status, body: await response.text(), headers: response.headers };
    },
    close: () => server.close(),
  };
}
