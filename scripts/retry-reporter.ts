/**
 * vitest reporter (next to the default one, see vite.config.ts): every test that needed a
 * retry prints its first failure (project = engine, file, test name, message and stack) and
 * how the retry ended, so a retry that passed still says why it was needed (issue 22).
 *
 * With $VOXPLAY_RETRY_FILE set (scripts/test-all.mjs, i.e. `npm test`), it appends one JSON
 * line per retried test to that file, and the runner sums them over all projects in its
 * closing line. Without it, a run ends with its own `retries used: …` line.
 */
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestCase, TestSpecification, Vitest } from 'vitest/node';
import { formatRetry, summarizeRetries, type RetryRecord } from './retries.mjs';

export default class RetryReporter implements Reporter {
  private vitest: Vitest | undefined;
  private records: RetryRecord[] = [];
  private projects: string[] = [];

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.records = [];
    this.projects = [...new Set(specifications.map((s) => s.project.name))];
  }

  onTestCaseResult(testCase: TestCase): void {
    const retries = testCase.diagnostic()?.retryCount ?? 0;
    if (retries === 0) return;
    const result = testCase.result();
    const root = this.vitest?.config.root ?? process.cwd();
    const project = testCase.project.name;
    // The runner keeps every attempt's errors, in order: errors[0] is the first failure.
    const errors = (result.errors ?? []).map((e) => ({
      message: e.message,
      name: e.name,
      stack: e.stack,
      diff: e.diff,
      stacks: e.stacks?.map((s) => ({ ...s, file: relative(root, s.file) })),
    }));
    const text = formatRetry({
      project,
      file: testCase.module.relativeModuleId,
      test: testCase.fullName,
      retries,
      passed: result.state === 'passed',
      errors,
    });
    if (this.vitest) this.vitest.logger.error(text);
    else process.stderr.write(`${text}\n`);
    this.records.push({ project, retries });
    const file = process.env.VOXPLAY_RETRY_FILE;
    if (file) appendFileSync(file, `${JSON.stringify({ project, retries, test: testCase.fullName, passed: result.state === 'passed' })}\n`);
  }

  onTestRunEnd(): void {
    if (process.env.VOXPLAY_RETRY_FILE) return; // the runner prints the total over all projects
    const line = summarizeRetries(this.records, this.projects);
    if (this.vitest) this.vitest.logger.log(line);
    else process.stdout.write(`${line}\n`);
  }
}
