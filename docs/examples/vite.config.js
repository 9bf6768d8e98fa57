import { defineConfig } from 'vite';

export default defineConfig({
  // Only if the dev server looks for playback-processor.js in node_modules/.vite/deps/ (a
  // worklet-load error naming that path): serve voxplay as it is instead of pre-bundling it.
  optimizeDeps: { exclude: ['voxplay'] },
});
