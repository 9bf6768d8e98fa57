import { defineConfig } from 'vitest/config';
import { keepWorkletUrl } from './vite.keep-url.ts';

const keepWorkletUrlPlugin = keepWorkletUrl('playback-processor.js');

/** Settings every browser project shares (one engine per project, see test/browser/engines/). */
const browserProject = {
  environment: 'node',
  testTimeout: 120_000,
  hookTimeout: 120_000,
  fileParallelism: false,
  // Real-time audio on a shared 2-core machine: one retry absorbs a host stall. A test
  // that fails twice fails the run. Every retry says why: scripts/retry-reporter.ts prints
  // the first failure, and `npm test` ends with the number of retries used.
  retry: 1,
  // Closes pages a failed attempt left open, so the retry starts from a fresh page.
  setupFiles: 'test/browser/retry-setup.ts',
} as const;

/** Browser test files that run in Firefox and WebKit as well as Chromium. */
const OTHER_ENGINE_FILES = [
  'test/browser/harness.test.ts',
  'test/browser/player.test.ts',
  'test/browser/marks.test.ts',
  'test/browser/lifecycle.test.ts',
  'test/browser/reliability-input.test.ts',
  'test/browser/reliability-faults.test.ts',
  'test/browser/fidelity.test.ts',
  'test/browser/demo-smoke.test.ts',
  'test/browser/codecs.test.ts',
  'test/browser/play-stream.test.ts',
  'test/browser/adapters.test.ts',
  'test/browser/output-controls.test.ts',
  'test/browser/output-device.test.ts',
  'test/browser/barge-in.test.ts',
  'test/browser/speed.test.ts',
  'test/browser/script-tag.test.ts',
];

// Library build of the main-thread code. Dependencies are bundled (mitt is 200 bytes) so
// dist/voxplay.js also works as a plain <script type="module"> with no bundler. The worklet is a second, self-contained
// build (vite.worklet.config.ts) because an AudioWorklet module cannot share
// chunks with the page's bundle.
export default defineConfig({
  plugins: [keepWorkletUrlPlugin],
  build: {
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'voxplay.js',
    },
    target: 'es2022',
    // Maps stay out of the package; hidden keeps dist/ free of dangling sourceMappingURL comments.
    sourcemap: 'hidden',
    emptyOutDir: true,
  },
  test: {
    reporters: ['default', './scripts/retry-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'happy-dom',
          // Some unit tests run seconds of DSP (the echo rooms, the time-stretcher, the
          // resampler's fidelity): on a shared 2-core machine vitest's 5 s default turned
          // one of them (3.3 s locally) into a failure in CI. A timeout is a hang guard
          // here, never a speed test.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'chromium',
          include: ['test/browser/**/*.test.ts'],
          ...browserProject,
          env: { VOXPLAY_ENGINE: 'chromium' },
        },
      },
      // Firefox and WebKit run the files whose tests are engine-neutral (the player's
      // behaviour from captured output). Chromium-only: the demo UI, bundler consumers, and
      // the autoplay-gesture test (Playwright's input events); see README "Browser support".
      {
        test: {
          name: 'firefox',
          include: OTHER_ENGINE_FILES,
          ...browserProject,
          env: { VOXPLAY_ENGINE: 'firefox' },
        },
      },
      {
        test: {
          name: 'webkit',
          include: OTHER_ENGINE_FILES,
          ...browserProject,
          env: { VOXPLAY_ENGINE: 'webkit' },
        },
      },
    ],
  },
});
