/**
 * The `andon` command. `andon serve` runs the server until SIGTERM or SIGINT,
 * then ends every stream with a jittered retry (screens come back to the
 * next process on their own) and exits. With `--workers N` the same command
 * is the primary of N node:cluster workers (`server/primary.ts`), and each
 * worker runs it again as a worker (`server/worker.ts`). `andon token` and
 * `andon publish` talk to a hub from a shell.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { isAndonError } from '../errors.js';
import { createLogger } from '../server/logger.js';
import { runPrimary } from '../server/primary.js';
import { createAndonServer } from '../server/server.js';
import { runWorker } from '../server/worker.js';
import { parseServeArgs, SERVE_USAGE, type ServeConfig } from './settings.js';
import { runPublish, runToken } from './token.js';

/** The development key of the Mercure ecosystem (and of config/demo.yaml): public, so never safe. */
export const WELL_KNOWN_DEMO_KEY = '!ChangeThisMercureHubJWTSecretKey!';

const USAGE = `Usage: andon <command> [options]

Commands:
  serve      run the Andon server and Mercure hub (andon serve --help)
  token      print a signed token for this hub (andon token --help)
  publish    publish an update to a hub (andon publish --help)`;

/** Warnings worth one line at start (once, from the primary when there are workers). */
function warnAboutSettings(config: ServeConfig, logger: Logger): void {
  if (config.publisherKey === undefined) {
    logger.warn(
      'no publisher key configured (--jwt-key or MERCURE_PUBLISHER_JWT_KEY): publishing is refused',
    );
  }
  if ([config.publisherKey?.key, config.subscriberKey?.key].includes(WELL_KNOWN_DEMO_KEY)) {
    logger.warn(
      'the JWT key is the well-known demo key: anyone can forge tokens; never use it in production',
    );
  }
  if (config.anonymous)
    logger.info('anonymous subscribers accepted (--anonymous): they receive public updates');
}

async function serve(args: readonly string[]): Promise<number> {
  const command = parseServeArgs(args, process.env);
  if (command.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const { config } = command;
  const logger = createLogger(config.logLevel);
  if (config.workers > 1) {
    if (cluster.isWorker) {
      try {
        return await runWorker(config, logger);
      } finally {
        // The IPC channel would keep the worker alive after its server closed.
        // (Through the worker, not process.disconnect(): node:cluster takes
        // that for a lost primary and exits at once with code 0.)
        cluster.worker?.disconnect();
      }
    }
    warnAboutSettings(config, logger);
    return runPrimary(config, logger);
  }
  const server = createAndonServer(config, logger);
  const url = await server.listen();
  logger.info(
    {
      event: 'start',
      url,
      host: config.host,
      port: config.port,
      store: config.store,
      pid: process.pid,
    },
    `andon: serving on ${url}`,
  );
  warnAboutSettings(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ event: 'stop', signal }, `andon: ${signal} received, closing streams`);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.close();
  logger.info({ event: 'stopped' }, 'andon: stopped');
  return 0;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'token':
        return await runToken(rest);
      case 'publish':
        return await runPublish(rest);
      case undefined:
      case '-h':
      case '--help':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`andon: unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (
      isAndonError(error, 'ANDON_INVALID_SETTING') ||
      isAndonError(error, 'ANDON_INVALID_OPTION')
    ) {
      console.error(`andon: ${error.message}`);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      console.error(`andon: cannot listen: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}
