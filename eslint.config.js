// Lint rules that keep Nova's layers apart (renderer / preload / main core / Electron
// corner / helper / contract) plus TypeScript's recommended checks.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const restrictedPaths = (paths, message) => paths.map((name) => ({ name, message }));

// The helper runs as root: a shell between it and a program would turn a VM's name or a
// path into commands. Programs start through ProcessRunner, argv arrays only.
const SHELL_RUNNERS = ['exec', 'execSync'];
const NO_SHELL = 'The helper never runs a shell: start programs with ProcessRunner (argv arrays), never exec/execSync or shell: true.';

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
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...restrictedPaths(['electron', 'react', 'react-dom', 'zustand'], 'The helper is a privileged daemon on the system Node: no Electron, renderer or main code.'),
            ...['child_process', 'node:child_process'].map((name) => ({ name, importNames: SHELL_RUNNERS, message: NO_SHELL })),
            ...['execa'].map((name) => ({ name, importNames: ['execaCommand', 'execaCommandSync', '$'], message: NO_SHELL })),
          ],
          patterns: [{ group: ['**/src-main/**', '**/src-renderer/**', '**/src-preload/**'], message: 'The helper is a privileged daemon on the system Node: no Electron, renderer or main code.' }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='shell'][value.type!='Literal'], Property[key.name='shell'][value.value!=false]", message: NO_SHELL },
        // Bare calls only: RegExp's own .exec() is everywhere and harmless.
        { selector: `CallExpression[callee.type='Identifier'][callee.name=/^(${SHELL_RUNNERS.join('|')})$/]`, message: NO_SHELL },
        // A namespace or default import would reach exec() as a member, past importNames.
        { selector: "ImportDeclaration[source.value=/child_process$/] > :matches(ImportNamespaceSpecifier, ImportDefaultSpecifier)", message: NO_SHELL },
      ],
    },
  },
);
