/**
 * One worker of `andon serve --workers N`: a whole server (hub, boards,
 * `/time`, `/metrics`, `/healthz`) holding its own subscribers, on the port
 * the primary shares with every worker. Its store is the primary's memory
 * store over IPC (`store/cluster.ts`), or the same SQLite file every process
 * opens; either way it receives every worker's events. The sources run in the
 * primary; this worker reports their health as the primary last sent it.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { ServeConfig } from '../cli/settings.js';
import { createSources } from '../sources/config.js';
import { createRemoteSources, isSourcesReport } from '../sources/remote.js';
import { createClusterStore } from '../store/cluster.js';
import { processChannel } from '../store/cluster-wire.js';
import { createAndonServer, openStore } from './server.js';

/**
 * Serves until SIGTERM or SIGINT (forwarded by the primary, or from the
 * terminal), then ends every stream with a jittered retry and resolves with
 * the exit code.
 */
export async function runWorker(config: ServeConfig, parentLogger: Logger): Promise<number> {
  const id = cluster.worker?.id ?? 0;
  const logger = parentLogger.child({ worker: id, pid: process.pid });
  const store =
    config.store.kind === 'memory'
      ? createClusterStore(processChannel(process), { primary: `primary process ${process.ppid}` })
      : openStore(config, logger);
  const remote = createRemoteSources(createSources(config, logger).map((source) => source.name));
  const onReport = (message: unknown) => {
    if (isSourcesReport(message)) remote.update(message);
  };
  process.on('message', onReport);
  const server = createAndonServer(config, logger, {
    store,
    sources: remote.sources,
    worker: id,
  });
  // A failed listen throws: the process ends with its store, and the primary stops the start.
  await server.listen();
  logger.debug({ event: 'worker-listening' }, `andon: worker ${id} listening`);
  // No 'disconnect' handling: should the primary die, node:cluster ends this
  // process at once (its streams are cut; clients reconnect by themselves).
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.debug({ event: 'stop', signal }, `andon: worker ${id} closing streams`);
  await server.close();
  process.off('message', onReport);
  return 0;
}
