/**
 * The `andon` command. `andon serve` runs the server until SIGTERM or SIGINT,
 * then ends every stream with a jittered retry (screens come back to the
 * next process on their own) and exits. `andon token` and `andon publish`
 * talk to a hub from a shell.
 */
import { isAndonError } from '../errors.js';
import { createLogger } from '../server/logger.js';
import { createAndonServer } from '../server/server.js';
import { parseServeArgs, SERVE_USAGE } from './settings.js';
import { runPublish, runToken } from './token.js';

/** The development key of the Mercure ecosystem (and of config/demo.yaml): public, so never safe. */
export const WELL_KNOWN_DEMO_KEY = '!ChangeThisMercureHubJWTSecretKey!';

const USAGE = `Usage: andon <command> [options]

Commands:
  serve      run the Andon server and Mercure hub (andon serve --help)
  token      print a signed token for this hub (andon token --help)
  publish    publish an update to a hub (andon publish --help)`;

async function serve(args: readonly string[]): Promise<number> {
  const command = parseServeArgs(args, process.env);
  if (command.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const { config } = command;
  const logger = createLogger(config.logLevel);
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
