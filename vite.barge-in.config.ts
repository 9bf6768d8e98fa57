import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { keepWorkletUrl } from './vite.keep-url.ts';

const ERRORS = fileURLToPath(new URL('./src/errors.ts', import.meta.url));

// The `voxplay/barge-in` entry (dist/barge-in.js) and its AudioWorklet (dist/echo-processor.js),
// two separate builds like the adaptors'. `VoxplayError` is imported from the core's own file
// (./voxplay.js), not copied, so `instanceof VoxplayError` holds across entries.
export default defineConfig(({ mode }) =>
  mode === 'worklet'
    ? {
        build: {
          lib: { entry: 'src/echo/echo-register.ts', formats: ['es'], fileName: () => 'echo-processor.js' },
          target: 'es2022',
          sourcemap: 'hidden',
          emptyOutDir: false,
          minify: true,
        },
      }
    : {
        plugins: [keepWorkletUrl('echo-processor.js')],
        build: {
          lib: { entry: 'src/barge-in/index.ts', formats: ['es'], fileName: () => 'barge-in.js' },
          target: 'es2022',
          sourcemap: 'hidden',
          emptyOutDir: false,
          rollupOptions: {
            external: (id: string) => id === ERRORS || id.endsWith('/src/errors.js'),
            output: { paths: (id: string) => (id === ERRORS || id.endsWith('/src/errors.js') ? './voxplay.js' : id) },
          },
        },
      },
);
