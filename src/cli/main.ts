/**
 * The `andon` command. `andon serve` runs the server until SIGTERM or SIGINT,
 * then ends every stream with a jittered retry (screens come back to the
 * next process on their own) and exits.
 */
import { isAndonError } from '../errors.js';
import { createAndonServer } from '../server/server.js';
import { parseServeArgs, SERVE_USAGE } from './settings.js';

const USAGE = `Usage: andon <command> [options]

Commands:
  serve    run the Andon server (andon serve --help for its options)`;

async function serve(args: readonly string[]): Promise<number> {
  const command = parseServeArgs(args, process.env);
  if (command.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const server = createAndonServer(command.settings);
  const url = await server.listen();
  console.log(
    `andon: serving on ${url} (listening on ${command.settings.host}, pid ${process.pid})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`andon: ${signal} received, closing streams`);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.close();
  console.log('andon: stopped');
  return 0;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
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
    if (isAndonError(error, 'ANDON_INVALID_SETTING')) {
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
