/**
 * Setup file of the browser projects (vite.config.ts). After every attempt of a test, closes
 * the pages it opened and left open (a failed attempt stops before its own close()), so the
 * retry starts from a fresh page, without the failed attempt's audio still running beside it.
 */
import { afterEach } from 'vitest';
import { closeLeftoverPages } from './engines/index';

afterEach(async ({ task }) => {
  const left = await closeLeftoverPages();
  if (left > 0 && task.result?.state !== 'fail') {
    // A passing test should close what it opens; say so rather than hide it.
    console.warn(`[retry-setup] "${task.name}" left ${left} page(s) open; closed them`);
  }
});
