#!/usr/bin/env node
/**
 * Keeps docs/integration.md's code blocks identical to the files the tests run.
 *
 *   node scripts/check-doc-samples.mjs           check (exit 1 on any difference)
 *   node scripts/check-doc-samples.mjs --write   rewrite the code blocks from the files
 *
 * In the markdown, a sample is a fenced code block right after a marker line
 *
 *   <!-- sample: docs/examples/openai-realtime.ts -->
 *
 * (blank lines in between are fine). The block must hold exactly that file (repo-relative
 * path). Rules checked:
 * - every marker is followed by a fenced block equal to its file;
 * - every fenced block is a sample, except shell blocks (```sh), which are commands;
 * - every file under docs/examples/ is shown at least once, so nothing the tests run is
 *   missing from the docs and nothing in the docs is left untested.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DOC = join(ROOT, 'docs', 'integration.md');
const EXAMPLES = join(ROOT, 'docs', 'examples');
const MARKER = /^<!--\s*sample:\s*(\S+)\s*-->\s*$/;
const FENCE = /^(`{3,}|~{3,})(.*)$/;
const write = process.argv.includes('--write');

const lines = readFileSync(DOC, 'utf8').split('\n');
const problems = [];
const shown = new Set();
const out = [];
let checked = 0;
let pending = null; // { file, line } of a marker waiting for its block

for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  const marker = MARKER.exec(line);
  if (marker) {
    if (pending) problems.push(`line ${pending.line}: marker for ${pending.file} has no code block`);
    pending = { file: marker[1], line: i + 1 };
    out.push(line);
    continue;
  }
  const fence = FENCE.exec(line);
  if (!fence) {
    if (pending && line.trim() !== '') {
      problems.push(`line ${pending.line}: marker for ${pending.file} is not followed by a code block`);
      pending = null;
    }
    out.push(line);
    continue;
  }
  // A fenced block: find its end.
  let end = i + 1;
  while (end < lines.length && !(lines[end].startsWith(fence[1]) && lines[end].slice(fence[1].length).trim() === '')) end++;
  if (end >= lines.length) {
    problems.push(`line ${i + 1}: code block is never closed`);
    out.push(...lines.slice(i));
    break;
  }
  const body = lines.slice(i + 1, end).join('\n');
  const lang = fence[2].trim();
  if (pending) {
    const path = pending.file;
    let text;
    try {
      text = readFileSync(join(ROOT, path), 'utf8').replace(/\n$/, '');
    } catch {
      problems.push(`line ${pending.line}: ${path} does not exist`);
    }
    if (text !== undefined) {
      shown.add(resolve(ROOT, path));
      checked++;
      if (text.includes(fence[1])) problems.push(`${path} contains ${fence[1]}; use a longer fence`);
      if (body !== text) {
        if (write) {
          out.push(line, text, lines[end]);
          pending = null;
          i = end;
          continue;
        }
        problems.push(`line ${i + 1}: the code block differs from ${path} (run node scripts/check-doc-samples.mjs --write)${firstDifference(body, text)}`);
      }
    }
    pending = null;
  } else if (lang !== 'sh') {
    problems.push(`line ${i + 1}: a \`\`\`${lang} block that is not a sample (put <!-- sample: path --> before it, or make it a sh block)`);
  }
  out.push(...lines.slice(i, end + 1));
  i = end;
}
if (pending) problems.push(`line ${pending.line}: marker for ${pending.file} has no code block`);

for (const file of walk(EXAMPLES)) {
  if (!shown.has(file)) problems.push(`${relative(ROOT, file)} is not shown in docs/integration.md`);
}

if (write) writeFileSync(DOC, out.join('\n'));
if (problems.length > 0) {
  console.error(`docs/integration.md: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`docs/integration.md: ${checked} samples match their files${write ? ' (rewritten)' : ''}`);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function firstDifference(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `\n    first difference at sample line ${i + 1}:\n      doc:  ${x[i] ?? '(end)'}\n      file: ${y[i] ?? '(end)'}`;
  }
  return '';
}
