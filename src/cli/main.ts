import { parseArgs } from 'node:util';
import { loadConfig, loadEnv } from '../config/load.ts';
import { UserFacingError } from '../core/errors.ts';
import { scrub } from '../core/scrub.ts';
import { log } from '../core/log.ts';
import { JOURNEYS } from '../../journeys/index.ts';
import { USAGE } from './args.ts';
import { runCommand } from './run.ts';
import { reportCommand } from './report.ts';

async function sandboxCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserFacingError(`--port "${values.port}": must be 0 (a free port) to 65535`);
  loadEnv();
  const { startSandbox } = await import('../../sandbox/server.ts');
  const sandbox = await startSandbox({ port, host: values.host });
  console.log(`sandbox listening on ${sandbox.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await sandbox.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'report':
      return reportCommand(rest);
    case 'sandbox':
      return sandboxCommand(rest);
    case 'journeys':
      for (const j of JOURNEYS) console.log(`${j.id.padEnd(18)} ${j.kind.padEnd(8)} ${j.cohort.padEnd(10)} ${j.title}`);
      return 0;
    case 'config':
      loadConfig();
      console.log('config ok');
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UserFacingError(`unknown command "${command}"\n${USAGE}`);
  }
}

// A stray rejection inside a journey's browser callbacks must never take the runner down.
process.on('unhandledRejection', (e) => log(`unhandled rejection: ${String((e as Error)?.message ?? e).split('\n')[0]}`));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UserFacingError) {
      console.error(scrub(e.message).split('\n').map((l) => `synthetics: ${l}`).join('\n'));
      process.exit(2);
    }
    console.error(e);
    process.exit(70);
  },
);
