// `npx tsx sandbox/main.ts [--port N] [--host H]`: runs the sandbox until
// SIGTERM or SIGINT, then exits 0.
import { parseArgs } from 'node:util';
import { startSandbox } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535 (0 picks a free port), got "${values.port}"`);
  process.exit(2);
}

const sandbox = await startSandbox({ port, host: values.host });
console.log(`sandbox listening on ${sandbox.url}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  sandbox.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`sandbox: close failed: ${String(err)}`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
