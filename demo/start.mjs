#!/usr/bin/env node
/**
 * `npm run demo`: builds the library if dist/ is missing, starts the mock TTS server and the
 * demo page (see demo/serve.ts), prints the URL to open. Ctrl-C stops both.
 *
 *   npm run demo -- [--port 5173] [--ws-port 8787] [--no-isolation] [--verbose]
 *
 * Environment: VOXPLAY_DEMO_PORT, VOXPLAY_DEMO_WS_PORT (the flags win).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`voxplay demo: ${message}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      'ws-port': { type: 'string' },
      'no-isolation': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)} (try --help)`);
}

if (values.help) {
  process.stdout.write(
    [
      'usage: npm run demo -- [--port 5173] [--ws-port 8787] [--no-isolation] [--verbose]',
      '  --port          HTTP port of the demo page (env VOXPLAY_DEMO_PORT; 0 = any free port)',
      '  --ws-port       port of the mock TTS WebSocket server (env VOXPLAY_DEMO_WS_PORT)',
      '  --no-isolation  serve without COOP/COEP: the player uses postMessage instead of SharedArrayBuffer',
      '                  (or open the page with ?isolated=0)',
      '  --verbose       log mock-server events and Vite warnings to stderr',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

function port(flag, envName, fallback) {
  const raw = values[flag] ?? process.env[envName] ?? String(fallback);
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw).trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    fail(`--${flag} must be an integer 0–65535 (got ${JSON.stringify(raw)})`);
  }
  return n;
}
const pagePort = port('port', 'VOXPLAY_DEMO_PORT', 5173);
const wsPort = port('ws-port', 'VOXPLAY_DEMO_WS_PORT', 8787);

// A fresh clone (after `npm ci`) has no dist/ (an older one may lack a file): build it once, in the foreground.
if (['dist/voxplay.js', 'dist/playback-processor.js', 'dist/protocol.js'].some((file) => !existsSync(resolve(root, file)))) {
  process.stderr.write('voxplay demo: dist/ is missing, running "npm run build" first…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) fail(`"npm run build" failed (${build.error ? build.error.message : `exit code ${build.status}`})`);
}

// demo/serve.ts is TypeScript (it shares the mock server's modules); tsx loads it.
const { tsImport } = await import('tsx/esm/api');
const { startDemo } = await tsImport('./serve.ts', import.meta.url);

let demo;
try {
  demo = await startDemo({
    port: pagePort,
    wsPort,
    isolation: !values['no-isolation'],
    log: values.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  fail(/EADDRINUSE/.test(message) ? `${message} — is another demo running? Pick other ports with --port / --ws-port.` : message);
}

process.stdout.write(`voxplay demo: ${demo.pageUrl}  (mock TTS ${demo.wsUrl}; Ctrl-C to stop)\n`);

let stopping = false;
function stop() {
  if (stopping) process.exit(130);
  stopping = true;
  const timer = setTimeout(() => process.exit(0), 3000);
  timer.unref();
  demo.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
