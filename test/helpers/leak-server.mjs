/**
 * The server half of test/leak.test.ts, in its own process so that its heap
 * and handles are the server's alone, and so that the client half's sockets
 * do not count against the same open-files limit.
 *
 * Plain JavaScript importing the build (dist/), because a child process runs
 * outside vitest's TypeScript transform. Run with `--expose-gc` and an IPC
 * channel (child_process.fork). Messages, each answered with one reply:
 *   { type: 'stats', gc: boolean } -> { type: 'stats', heapUsed, handles, resources, size }
 *   { type: 'send', data }         -> { type: 'sent', id }
 *   { type: 'close' }              -> { type: 'closed' }, then the process exits
 * On start it sends { type: 'listening', port }.
 */
import http from 'node:http';
import { createStream } from '../../dist/index.js';

/** Full collections before measuring: one pass can leave weak references for the next. */
const GC_PASSES = 3;

// A heartbeat well inside the test's run, so the shared timer walks every subscriber.
const stream = createStream({ heartbeat: 1000 });
const server = http.createServer((req, res) => stream.serve(req, res));

server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port });
});

process.on('message', (message) => {
  if (message.type === 'stats') {
    if (message.gc) for (let i = 0; i < GC_PASSES; i++) globalThis.gc();
    const resources = process.getActiveResourcesInfo();
    const counts = {};
    for (const name of resources) counts[name] = (counts[name] ?? 0) + 1;
    process.send({
      type: 'stats',
      heapUsed: process.memoryUsage().heapUsed,
      handles: resources.length,
      resources: counts,
      size: stream.size,
    });
  } else if (message.type === 'send') {
    process.send({ type: 'sent', id: stream.send({ data: message.data }) });
  } else if (message.type === 'close') {
    stream
      .close()
      .then(() => {
        server.close();
        server.closeAllConnections();
        process.send({ type: 'closed' }, () => process.disconnect());
      })
      .catch((error) => {
        console.error(error);
        process.exit(1);
      });
  }
});
