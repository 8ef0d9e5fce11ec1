// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
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

// The layers of docs/architecture.md#layout, as import rules: each zone says what `target` may never import.
const LEAF = ['./lib/vocabulary.ts', './lib/rules.ts', './lib/relative-path.ts'];
// What activities/ holds besides activities: the host services the activities and the host worker share.
const SERVICES = [
  './activities/containers',
  './activities/supervisor',
  './activities/capacity',
  './activities/scanner.ts',
  './activities/scan-worker.ts',
];
const EDGE = ['./api', './cli', './mcp', './bench', './scripts', './examples'];
const layers = [
  {
    target: LEAF,
    from: '.',
    except: LEAF,
    message: 'The leaf modules import nothing of the project: the workflows and the SDK load them.',
  },
  {
    target: './lib/schemas',
    from: '.',
    except: ['./lib/schemas', './node_modules', ...LEAF],
    message: 'The schemas import only each other and the leaf modules: the SDK ships them.',
  },
  {
    target: './sdk/src',
    from: '.',
    except: ['./sdk/src', './lib/schemas', './node_modules', ...LEAF],
    message: 'The SDK is a pure client: its own code, the shared schemas and the leaf modules only.',
  },
  {
    target: ['./lib/*.ts', './lib/scans', './lib/schemas', './workflows'],
    from: './lib/node',
    message: 'lib/node/ needs Node; the rest of lib/ is loaded by the workflows, so it never imports lib/node/.',
  },
  {
    target: './lib',
    from: ['./workflows', './activities', './workers', './sdk', ...EDGE],
    message: 'lib/ is the bottom layer: move the code that needs this up, or the shared part down.',
  },
  {
    target: './workflows',
    from: ['./workers', './sdk', ...EDGE],
    message: 'Workflows call nothing above them; they reach the world through activities.',
  },
  {
    target: './activities',
    from: ['./workflows', './workers', './sdk', ...EDGE],
    message: 'Activities are called by workflows, never the other way; they know nothing of the edge.',
  },
  {
    target: SERVICES,
    from: ['./activities/host', './activities/orchestration'],
    message: 'The host services sit below the activities that use them: they never import an activity.',
  },
  {
    target: './workers',
    from: ['./sdk', ...EDGE],
    message: 'Workers host workflows and activities; nothing at the edge is theirs to import.',
  },
  {
    target: './api',
    from: ['./activities', './workers', './cli', './mcp', './bench', './scripts', './examples', './sdk'],
    message: 'The API never runs container work: it starts and queries workflows through Temporal.',
  },
  {
    target: ['./cli', './mcp', './bench', './scripts', './examples'],
    from: './api',
    message: 'Clients reach the API over HTTP, through the SDK.',
  },
  {
    target: './mcp',
    from: ['./cli', './activities', './workers', './workflows', './bench', './scripts'],
    message: 'The MCP server is an SDK client; the CLI starts it, never the other way.',
  },
  {
    target: ['./cli', './bench', './scripts', './examples'],
    from: './activities',
    message: 'Container work runs in the host worker only.',
  },
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
    plugins: { 'import-x': importX },
    settings: {
      // The TypeScript preset's parsers and extensions, so the import rules read the .ts they resolve to.
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })],
    },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // One statement per module: a type goes inline (`import { f, type T }`).
      'import-x/no-duplicates': ['error', { 'prefer-inline': true }],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layers }],
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
    // The part of lib/ outside lib/node/ is what the workflow bundle may load: deterministic, like the workflows.
    files: ['lib/*.ts', 'lib/scans/**/*.ts', 'lib/schemas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...ioLibraries].map((name) => ({
            name,
            message: 'Node-only: put this module in lib/node/.',
          })),
        },
      ],
    },
  },
  {
    // The workflows load the leaf modules too, so they are as deterministic as the workflows.
    files: LEAF.map((f) => f.slice(2)),
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: nodeBuiltins.map((name) => ({ name, message: 'The leaf modules run in the workflow sandbox.' })) },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'No environment access in the leaf modules.' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Plain Node scripts: the stock SDK scenarios and the OpenAPI check.
  {
    files: ['test/e2b/js/*.mjs', 'scripts/*.mjs', 'bench/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Blob: 'readonly',
        Response: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
  {
    files: ['jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', process: 'readonly' } },
  },
  prettier,
);
