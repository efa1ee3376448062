import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT, startAndon } from './helpers/andon-process.js';
import { RawSseClient } from './helpers/raw-sse-client.js';

/** Runs `andon ...args` to completion; resolves with its exit code and output. */
async function runAndon(args: string[], env: NodeJS.ProcessEnv = {}) {
  await ensureBuilt();
  const child = spawn(process.execPath, ['bin/andon.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

describe('andon serve', () => {
  it('on SIGTERM ends every stream with a jittered retry, then exits 0', async () => {
    const andon = await startAndon({ args: ['--retry', '1s', '--time-interval', '50ms'] });
    const clients = await Promise.all(
      Array.from({ length: 8 }, () => RawSseClient.connect(andon.port, { path: '/time' })),
    );
    await Promise.all(clients.map((client) => client.waitForEvents(1)));
    const exit = andon.kill('SIGTERM');
    await Promise.all(clients.map((client) => client.waitForEnd()));
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(andon.output()).toMatch(/SIGTERM received, closing streams/);
    const finalRetries = clients.map((client) => {
      const last = client.blocks[client.blocks.length - 1];
      return Number(last?.retry);
    });
    for (const retry of finalRetries) {
      expect(retry).toBeGreaterThanOrEqual(1000);
      expect(retry).toBeLessThanOrEqual(1000 + 5000);
    }
    // Spread, not one value for all: eight draws from 5001 values all equal is ~1e-30.
    expect(new Set(finalRetries).size).toBeGreaterThan(1);
  });

  it('refuses a bad setting by name and exits 2', async () => {
    const store = await runAndon(['serve', '--store', 'postgres://x']);
    expect(store.code).toBe(2);
    expect(store.output).toMatch(/--store: "postgres:\/\/x" is not a store this build has/);
    const port = await runAndon(['serve'], { PORT: 'eighty' });
    expect(port.code).toBe(2);
    expect(port.output).toMatch(/PORT: "eighty" is not a whole number/);
    const unknown = await runAndon(['serve', '--colour', 'red']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/Unknown option '--colour'/);
  });

  it('says so when the port is taken, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runAndon(['serve', '--host', '127.0.0.1', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/cannot listen: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('prints its usage', async () => {
    const help = await runAndon(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/--time-interval D/);
    const unknown = await runAndon(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/unknown command "frobnicate"/);
  });
});
