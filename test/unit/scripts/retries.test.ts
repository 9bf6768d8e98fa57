import { describe, expect, it } from 'vitest';
import { formatRetry, parseRecords, summarizeRetries } from '../../../scripts/retries.mjs';

describe('retry report (scripts/retries.mjs)', () => {
  it('prints the first failure of a retried test: project, file, name, message and stack', () => {
    const text = formatRetry({
      project: 'webkit',
      file: 'test/browser/harness.test.ts',
      test: 'recorder worklet > captures an OfflineAudioContext render',
      retries: 1,
      passed: true,
      errors: [
        {
          name: 'AssertionError',
          message: 'expected \u001b[32m4800\u001b[39m to be 4864',
          stacks: [{ file: 'test/browser/harness.test.ts', line: 330, column: 7, method: '' }],
        },
        { name: 'Error', message: 'a later attempt' },
      ],
    });
    expect(text).toBe(
      [
        '[retry] webkit › test/browser/harness.test.ts › recorder worklet > captures an OfflineAudioContext render: 1 retry, passed on retry',
        '  first failure (AssertionError):',
        '    expected 4800 to be 4864',
        '    at test/browser/harness.test.ts:330:7',
      ].join('\n'),
    );
  });

  it("prints the assertion's diff after the message, so an array's contents are seen", () => {
    const text = formatRetry({
      project: 'webkit',
      file: 'c.test.ts',
      test: 'y',
      retries: 1,
      passed: true,
      errors: [
        {
          name: 'AssertionError',
          message: 'expected [ Array(1) ] to deeply equal []',
          diff: '\u001b[32m- Expected\u001b[39m\n\u001b[31m+ Received\u001b[39m\n\n- []\n+ [\n+   "underrun",\n+ ]',
          stacks: [{ file: 'c.test.ts', line: 9, column: 1 }],
        },
      ],
    });
    expect(text).toContain(
      [
        '    expected [ Array(1) ] to deeply equal []',
        '    - Expected',
        '    + Received',
        '    ',
        '    - []',
        '    + [',
        '    +   "underrun",',
        '    + ]',
        '    at c.test.ts:9:1',
      ].join('\n'),
    );
  });

  it('falls back to the raw stack, and says when the retry failed too', () => {
    const text = formatRetry({
      project: 'chromium',
      file: 'a.test.ts',
      test: 'x',
      retries: 1,
      passed: false,
      errors: [{ message: 'boom\nsecond line', stack: 'Error: boom\n    at f (a.test.ts:1:2)\n    at g (b.ts:3:4)' }],
    });
    expect(text).toContain('1 retry, failed again');
    expect(text).toContain('    boom\n    second line\n    at f (a.test.ts:1:2)\n    at g (b.ts:3:4)');
  });

  it('sums the recorded retries per project, listing every project', () => {
    const file = [
      JSON.stringify({ project: 'chromium', retries: 1, test: 'a' }),
      'not json',
      JSON.stringify({ project: 'webkit', retries: 1 }),
      JSON.stringify({ project: 'webkit', retries: 2 }),
      JSON.stringify({ project: 'firefox', retries: -1 }),
      '',
    ].join('\n');
    const records = parseRecords(file);
    expect(records).toEqual([
      { project: 'chromium', retries: 1 },
      { project: 'webkit', retries: 1 },
      { project: 'webkit', retries: 2 },
    ]);
    expect(summarizeRetries(records, ['chromium', 'firefox', 'webkit'])).toBe('retries used: 4 (chromium 1, firefox 0, webkit 3)');
    expect(summarizeRetries([], ['chromium', 'firefox', 'webkit'])).toBe('retries used: 0 (chromium 0, firefox 0, webkit 0)');
    expect(summarizeRetries([{ project: 'unit', retries: 1 }], ['chromium'])).toBe('retries used: 1 (chromium 0, unit 1)');
  });
});
