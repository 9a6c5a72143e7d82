import { inspect } from 'node:util';
import { loadConfig, loadEnv } from '../config/load.ts';
import { UserFacingError } from '../core/errors.ts';
import { scrub, scrubber, scrubUrlCredentials } from '../core/scrub.ts';
import { log } from '../core/log.ts';
import { JOURNEYS } from '../../journeys/index.ts';
import { COMMAND_USAGE, HelpRequested, parseFlags, USAGE } from './args.ts';
import { runCommand } from './run.ts';
import { gateCommand } from './gate.ts';
import { drillCommand } from './drill.ts';
import { reportCommand } from './report.ts';
import { baselineCommand } from './baseline.ts';
import { rulesCommand } from './rules.ts';

async function sandboxCommand(argv: string[]): Promise<number> {
  const values = parseFlags('sandbox', argv, { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } });
  const port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
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
    case 'gate':
      return gateCommand(rest);
    case 'drill':
      return drillCommand(rest);
    case 'baseline':
      return baselineCommand(rest);
    case 'rules':
      return rulesCommand(rest);
    case 'sandbox':
      return sandboxCommand(rest);
    case 'journeys':
      parseFlags('journeys', rest, {});
      for (const j of JOURNEYS) console.log(`${j.id.padEnd(18)} ${j.kind.padEnd(8)} ${j.cohort.padEnd(10)} ${j.title}`);
      return 0;
    case 'config':
      parseFlags('config', rest, {});
      loadConfig();
      console.log('config ok');
      return 0;
    case undefined:
      // A usage mistake: the usage goes where mistakes go, and stdout stays empty.
      console.error(USAGE);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new UserFacingError(`unknown command "${command}"\n${USAGE}`);
  }
}

// A stray rejection inside a journey's browser callbacks must never take the runner down.
process.on('unhandledRejection', (e) => log(`unhandled rejection: ${String((e as Error)?.message ?? e).split('\n')[0]}`));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof HelpRequested) {
      console.log(`usage: ${COMMAND_USAGE[e.command]}`);
      process.exit(0);
    }
    if (e instanceof UserFacingError) {
      // The suite composed this message: it names keys and flags and never echoes a secret key's
      // value, so only known secrets and URL credentials (a URL the user typed) are taken out;
      // the patterns would garble it ("PASSWORD: required", an example address).
      const message = scrubUrlCredentials(scrubber.scrubKnown(e.message));
      console.error(message.split('\n').map((l) => `synthetics: ${l}`).join('\n'));
      process.exit(2);
    }
    // A bug: keep the stack, scrubbed like every other line the suite writes.
    console.error(scrub(inspect(e)));
    process.exit(70);
  },
);
