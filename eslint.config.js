// ESLint flat config: @eslint/js recommended + typescript-eslint recommended.
//
//   npx eslint .                      syntax-level rules (a few seconds)
//   ESLINT_TYPED=1 npx eslint src worklets
//                                     adds the type-aware rules (recommendedTypeChecked) for the
//                                     library and the worklet; slower, not part of CI yet
//
// Formatting is Prettier's job (.prettierrc.json); none of the rules here are stylistic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig, globalIgnores } from 'eslint/config';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Globals for plain .js/.mjs files (TypeScript files are checked by tsc, and typescript-eslint
// turns no-undef off for them). No `globals` package is installed, so they come from the
// environments themselves: Node's own globalThis, the names TypeScript's DOM lib declares,
// and the AudioWorkletGlobalScope (as src/worklet/worklet-globals.d.ts declares it).
const readonly = (names) => Object.fromEntries([...names].map((name) => [name, 'readonly']));
const nodeGlobals = readonly(Object.getOwnPropertyNames(globalThis).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name)));
const domLib = readFileSync(createRequire(import.meta.url).resolve('typescript/lib/lib.dom.d.ts'), 'utf8');
const browserGlobals = readonly(new Set([...domLib.matchAll(/^declare (?:var|function) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1])));
const workletGlobals = { ...browserGlobals, ...readonly(['sampleRate', 'currentFrame', 'currentTime', 'registerProcessor', 'AudioWorkletProcessor']) };

export default defineConfig(
  globalIgnores(['dist/', 'docs/api/', 'node_modules/', 'test-results/', 'bench/results/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    name: 'browser scripts',
    files: ['**/*.js'],
    languageOptions: { globals: browserGlobals },
  },
  {
    name: 'worklets',
    files: ['**/*worklet*.js', 'demo/worklets/**/*.js'],
    languageOptions: { globals: workletGlobals },
  },
  {
    name: 'node scripts',
    files: ['**/*.mjs', '**/*.cjs', 'eslint.config.js', '**/vite.config.js'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    // Tests drive pages through page.evaluate and stub browser globals, where `any` is the
    // honest type. The library (src/) keeps the rule: its types are public.
    name: 'tests',
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Type-level tests declare values only to check their types.
    name: 'type tests',
    files: ['test/types/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  process.env.ESLINT_TYPED
    ? {
        name: 'type-aware (ESLINT_TYPED=1)',
        files: ['src/**/*.ts'],
        extends: [tseslint.configs.recommendedTypeCheckedOnly],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
      }
    : {},
);
