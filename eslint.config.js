// Lint rules that keep Nova's layers apart (renderer / preload / main core / Electron
// corner / helper / contract) plus TypeScript's recommended checks.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const restrict = (paths, patterns, message) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: paths.map((name) => ({ name, message })),
      patterns: patterns.map((group) => ({ group: [group], message })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'helper/native/**/build/**', 'test-results/**', 'e2e/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    ignores: ['src-shared/**/*.test.ts'],
    rules: restrict(
      ['electron', 'react', ...nodeBuiltins],
      ['**/src-main/**', '**/src-renderer/**', '**/src-preload/**', '**/helper/**'],
      'The contract is shared by every process: it imports no process folder, Node or Electron.',
    ),
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      ['electron', ...nodeBuiltins],
      ['**/src-main/**', '**/src-preload/**', '**/helper/**'],
      'The renderer is sandboxed: only the DOM and the contract (src-shared).',
    ),
  },
  {
    files: ['src-preload/**/*.ts'],
    ignores: ['src-preload/**/*.test.ts'],
    rules: restrict(
      nodeBuiltins,
      ['**/src-main/**', '**/src-renderer/**', '**/helper/**'],
      'The preload runs sandboxed: Electron\'s sandboxed subset and the contract only.',
    ),
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: restrict(
      ['electron'],
      ['**/src-renderer/**', '**/src-preload/**', '**/helper/**'],
      'src-main outside src-main/electron/ must run under plain Node (CLI, web mode): no Electron, and it talks to the helper only over its socket.',
    ),
  },
  {
    files: ['src-main/electron/**/*.ts'],
    rules: restrict(
      [],
      ['**/src-renderer/**', '**/src-preload/**', '**/helper/**'],
      'Main reaches the helper only over its socket and the renderer only over IPC.',
    ),
  },
  {
    // System tests (helper/system-tests) drive every layer from outside, as a user would.
    files: ['helper/src/**/*.ts'],
    rules: restrict(
      ['electron', 'react', 'react-dom', 'zustand'],
      ['**/src-main/**', '**/src-renderer/**', '**/src-preload/**'],
      'The helper is a privileged daemon on the system Node: no Electron, renderer or main code.',
    ),
  },
);
