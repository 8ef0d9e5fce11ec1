// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

// Workflow code is replayed and must be deterministic: no Node built-ins, no I/O libraries.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioLibraries = [
  'dockerode',
  'express',
  'pino',
  'yaml',
  'tar-stream',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  // images/ holds files for the sandboxes, not project code.
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.airlock/**',
      'sdk/dist/**',
      'examples/dist/**',
      'images/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // One statement per module: a type goes inline (`import { f, type T }`).
      'no-duplicate-imports': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...ioLibraries].map((name) => ({
            name,
            message: 'Workflows must be deterministic: do I/O in an activity.',
          })),
          patterns: [
            {
              group: ['../activities/*', '../activities/**'],
              allowTypeImports: true,
              message: 'Import activities type-only.',
            },
            {
              group: ['../lib/schemas/*'],
              allowTypeImports: true,
              message: 'Import zod schemas type-only in workflows.',
            },
            {
              group: [
                '../lib/config',
                '../lib/paths',
                '../lib/policies',
                '../lib/runtimes',
                '../lib/temporal',
                '../lib/logger',
                '../lib/payload-codec',
                '../lib/payload-keys',
                '../lib/locked-file',
              ],
              message: 'Node-only module.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No environment access in workflows.' },
        { name: 'Buffer', message: 'Node-only global.' },
        { name: 'setInterval', message: 'Use sleep() or condition().' },
        { name: 'setImmediate', message: 'Not available in workflows.' },
      ],
    },
  },
  {
    // lib/ is below workflows/, activities/ and workers/: it never imports them (docs/architecture.md#layout).
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows', '**/workflows/*', '**/activities/*', '**/workers/*', '**/api/*', '**/cli/*'],
              message: 'lib/ is the bottom layer: move the code that needs this up, or the shared part down.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', process: 'readonly' } },
  },
  prettier,
);
