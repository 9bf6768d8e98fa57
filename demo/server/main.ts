/**
 * CLI: start the mock TTS server.
 *
 *   npx tsx demo/server/main.ts [--port 8787] [--host 127.0.0.1] [--quiet]
 *                               [--defaults '{"speed":1,"firstChunkDelayMs":900}']
 *
 * Prints the ws:// URL on stdout (first line) and logs events to stderr. Ctrl-C stops it.
 */

import { parseArgs } from 'node:util';
import { startMockServer } from './mock-server';
import type { Scenario } from './scenario';

function fail(message: string): never {
  process.stderr.write(`mock-server: ${message}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        defaults: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
})();

if (values.help) {
  process.stdout.write(
    'usage: tsx demo/server/main.ts [--port 8787] [--host 127.0.0.1] [--defaults JSON] [--quiet]\n' +
      '  --port 0 picks a free port; --defaults sets scenario fields for every speak request\n',
  );
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer 0–65535 (got ${values.port})`);

let defaults: Partial<Scenario> = {};
if (values.defaults !== undefined) {
  try {
    defaults = JSON.parse(values.defaults) as Partial<Scenario>;
  } catch (e) {
    fail(`--defaults is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

try {
  const server = await startMockServer({
    port,
    host: values.host,
    defaults,
    log: values.quiet ? undefined : (line) => process.stderr.write(`[mock-server] ${line}\n`),
  });
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
