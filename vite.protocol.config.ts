import { defineConfig } from 'vite';

// The `voxplay/protocol` entry: the wire protocol for servers and tools, one self-contained
// ES file (a separate build, so dist/voxplay.js stays one file with no shared chunk).
export default defineConfig({
  build: {
    lib: {
      entry: 'src/protocol/index.ts',
      formats: ['es'],
      fileName: () => 'protocol.js',
    },
    target: 'es2022',
    sourcemap: 'hidden',
    emptyOutDir: false,
  },
});
