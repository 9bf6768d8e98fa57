// Pure helpers for "every test retry says why" (issue 22), shared by the vitest reporter
// (scripts/retry-reporter.ts) and the suite runner (scripts/test-all.mjs). No I/O here, so
// test/unit/scripts/retries.test.ts checks them directly. Types: retries.d.mts.

/** Strips ANSI colour codes (assertion messages carry them). */
export function plain(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/\u001b\[[0-9;]*m/g, '');
}

/** An error's stack as text: vitest's parsed (source-mapped) frames if it has them, else the raw stack. */
export function stackOf(error) {
  if (Array.isArray(error.stacks) && error.stacks.length > 0) {
    return error.stacks.map((s) => `    at ${s.method ? `${s.method} ` : ''}${s.file}:${s.line}:${s.column}`).join('\n');
  }
  const raw = plain(error.stack ?? '');
  // The raw stack repeats the message first; keep its frames only.
  const frames = raw.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.join('\n');
}

/**
 * The block printed to the log for a test that needed a retry: which test, in which engine
 * (project), how the retry ended, and its first failure (message, the assertion's diff when it
 * has one, and stack): "expected [ Array(1) ] to deeply equal []" alone hides what the array held.
 */
export function formatRetry(t) {
  const first = t.errors[0];
  const head = `[retry] ${t.project} › ${t.file} › ${t.test}: ${t.retries === 1 ? '1 retry' : `${t.retries} retries`}, ${t.passed ? 'passed on retry' : 'failed again'}`;
  if (!first) return `${head}\n  first failure: (no error recorded)`;
  const name = first.name ? ` (${first.name})` : '';
  const message = plain(first.message ?? '(no message)')
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  const stack = stackOf(first);
  const diff = first.diff
    ? `\n${plain(first.diff)
        .trimEnd()
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n')}`
    : '';
  return `${head}\n  first failure${name}:\n${message}${diff}${stack ? `\n${stack}` : ''}`;
}

/**
 * Parses the lines the reporter appends to $VOXPLAY_RETRY_FILE (one JSON object with
 * `project` and `retries` per retried test; other lines are ignored).
 */
export function parseRecords(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line);
      if (r && typeof r.project === 'string' && Number.isInteger(r.retries) && r.retries >= 0) out.push({ project: r.project, retries: r.retries });
    } catch {
      // a torn or foreign line: not a record
    }
  }
  return out;
}

/**
 * The closing line of `npm test`: retries used in total and per project, in the order given
 * (projects with no record count 0; a project not listed but with a record is added).
 */
export function summarizeRetries(records, projects) {
  const per = new Map(projects.map((p) => [p, 0]));
  let total = 0;
  for (const r of records) {
    per.set(r.project, (per.get(r.project) ?? 0) + r.retries);
    total += r.retries;
  }
  const parts = [...per].map(([p, n]) => `${p} ${n}`);
  return `retries used: ${total} (${parts.join(', ')})`;
}
