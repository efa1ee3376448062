/**
 * The library across instances: two HTTP servers in the roles of two app
 * instances, each an `Engine` over its own Redis store on one Redis (as in
 * docs/library.md). An event appended through either reaches subscribers of
 * both, once, in one order; a subscriber that moves to the other instance
 * with its Last-Event-ID replays what it missed. Also checks that the
 * `andon/redis` entry point of package.json is built and exports the store.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, readLastEventId, STREAM_DEFAULTS, writeStreamHead } from '../src/index.js';
import { createRedisStore } from '../src/store/redis.js';
import type { Store } from '../src/store/store.js';
import { REPO_ROOT } from './helpers/andon-process.js';
import { RawSseClient } from './helpers/raw-sse-client.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

interface Instance {
  readonly store: Store;
  readonly engine: Engine;
  readonly server: Server;
  readonly port: number;
}

let redis: TestRedis;
const instances: Instance[] = [];

async function startInstance(): Promise<Instance> {
  const store = createRedisStore({ url: redis.url(), prefix: 'library-prices' });
  const engine = new Engine(store, STREAM_DEFAULTS);
  const server = createServer((req, res) => {
    const sink = writeStreamHead(req, res);
    const subscriber = engine.attach(sink, { lastEventId: readLastEventId(req) });
    res.on('close', () => engine.detach(subscriber));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const instance = { store, engine, server, port: (server.address() as AddressInfo).port };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  redis = await startRedis();
}, 600_000);

afterAll(async () => {
  for (const { engine, server, store } of instances) {
    await engine.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  }
  await redis?.destroy();
});

describe('the library over Redis: several instances, one stream', () => {
  it('delivers what either instance appends to subscribers of both, and replays across them', async () => {
    const [a, b] = [await startInstance(), await startInstance()];
    const onA = await RawSseClient.connect(a.port);
    const onB = await RawSseClient.connect(b.port);
    await a.store.append([{ id: 'p1', data: '{"price":1}', topics: [] }]);
    await b.store.append([{ id: 'p2', data: '{"price":2}', topics: [] }]);
    const ids = async (client: RawSseClient) =>
      (await client.waitForEvents(2)).map((event) => event.id);
    expect(await ids(onA)).toEqual(['p1', 'p2']);
    expect(await ids(onB)).toEqual(['p1', 'p2']);

    // A subscriber of A leaves after p2, events go on, it comes back on B.
    onA.destroy();
    await a.store.append([{ id: 'p3', data: '{"price":3}', topics: [] }]);
    const back = await RawSseClient.connect(b.port, { headers: { 'Last-Event-ID': 'p2' } });
    expect((await back.waitForEvents(1)).map((event) => event.id)).toEqual(['p3']);
    back.destroy();
    onB.destroy();
  });

  it('publishes the store as andon/redis', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string; types: string }>;
    };
    const entry = manifest.exports['./redis'];
    expect(entry).toBeDefined();
    for (const file of [entry!.default, entry!.types]) {
      expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
    }
    expect(readFileSync(join(REPO_ROOT, entry!.types), 'utf8')).toContain('createRedisStore');
  });
});
