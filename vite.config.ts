import { defineConfig } from 'vitest/config';

// Library build of the main-thread code. Dependencies are bundled (mitt is 200 bytes) so
// dist/voxplay.js also works as a plain <script type="module"> with no bundler. The worklet is a second, self-contained
// build (vite.worklet.config.ts) because an AudioWorklet module cannot share
// chunks with the page's bundle.
export default defineConfig({
  build: {
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'voxplay.js',
    },
    target: 'es2022',
    sourcemap: true,
    emptyOutDir: true,
  },
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
