import { defineConfig } from 'vite';

// The AudioWorklet module: one self-contained ES file next to voxplay.js in dist/,
// so `new URL('./playback-processor.js', import.meta.url)` finds it from any host.
export default defineConfig({
  build: {
    lib: {
      entry: 'src/worklet/register.ts',
      formats: ['es'],
      fileName: () => 'playback-processor.js',
    },
    target: 'es2022',
    sourcemap: 'hidden',
    emptyOutDir: false,
    minify: true,
  },
});
