// Entry point of `npm run bench` (after `npm run build`): the bench is TypeScript and reuses
// the browser test harness (test/browser/harness.ts), so load it through tsx's ESM loader.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
