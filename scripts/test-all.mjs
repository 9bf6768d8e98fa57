#!/usr/bin/env node
/**
 * `npm test`: type check, build, then the unit tests and the browser tests in Chromium,
 * Firefox and WebKitGTK, one vitest run per project, in that order, stopping at the first
 * step that fails (with its exit code). The browser projects retry a failed test once
 * (vite.config.ts); scripts/retry-reporter.ts prints each retried test's first failure and
 * records it in a temporary file, and the closing line here sums them over all projects:
 *
 *   retries used: 0 (chromium 0, firefox 0, webkit 0)
 *
 * (The unit project has no retry; it is listed only if one was used there.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRecords, summarizeRetries } from './retries.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROJECTS = ['unit', 'chromium', 'firefox', 'webkit'];
const BROWSER_PROJECTS = PROJECTS.slice(1);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');

const dir = mkdtempSync(join(tmpdir(), 'voxplay-retries-'));
const retryFile = join(dir, 'retries.jsonl');
// VOXPLAY_REQUIRE_DIST: the build runs before the unit tests here, so the unit test that imports
// the built entries (test/unit/package/server-import.test.ts) fails on a missing dist/ instead
// of skipping.
const env = { ...process.env, VOXPLAY_RETRY_FILE: retryFile, VOXPLAY_REQUIRE_DIST: '1' };

const steps = [[npm, ['run', 'typecheck']], [npm, ['run', 'build']], ...PROJECTS.map((p) => [process.execPath, [vitest, 'run', '--project', p]])];

let code = 0;
for (const [command, args] of steps) {
  const run = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (run.error) {
    process.stderr.write(`npm test: could not run ${command} ${args.join(' ')}: ${run.error.message}\n`);
    code = 1;
  } else if (run.status !== 0) {
    code = run.status ?? 1;
    if (run.signal) process.stderr.write(`npm test: ${args.join(' ')} ended by ${run.signal}\n`);
  }
  if (code !== 0) break;
}

let text = '';
try {
  text = readFileSync(retryFile, 'utf8');
} catch {
  // no test was retried (the reporter writes the file only for retried tests)
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${summarizeRetries(parseRecords(text), BROWSER_PROJECTS)}\n`);
process.exit(code);
