import { defineConfig } from 'vite';

// The `voxplay/adapters` entry: service adapters (OpenAI Realtime, ElevenLabs, …), one self-contained
// ES file (a separate build, so dist/voxplay.js stays one file with no shared chunk).
export default defineConfig({
  build: {
    lib: {
      entry: 'src/adapters/index.ts',
      formats: ['es'],
      fileName: () => 'adapters.js',
    },
    target: 'es2022',
    sourcemap: 'hidden',
    emptyOutDir: false,
  },
});
