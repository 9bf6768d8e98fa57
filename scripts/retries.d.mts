// Types of scripts/retries.mjs (plain JavaScript so that scripts/test-all.mjs runs on Node alone).

export interface RetryError {
  message?: string;
  name?: string;
  stack?: string;
  /** vitest's diff of an assertion (expected against received), when it has one. */
  diff?: string;
  /** vitest's parsed, source-mapped frames. */
  stacks?: readonly { file: string; line: number; column: number; method?: string }[];
}

export interface RetriedTest {
  project: string;
  test: string;
  file: string;
  retries: number;
  passed: boolean;
  /** All errors of all attempts, in order: the first is the first failure. */
  errors: readonly RetryError[];
}

export interface RetryRecord {
  project: string;
  retries: number;
}

export function plain(text: string): string;
export function stackOf(error: RetryError): string;
export function formatRetry(t: RetriedTest): string;
export function parseRecords(text: string): RetryRecord[];
export function summarizeRetries(records: readonly RetryRecord[], projects: readonly string[]): string;
