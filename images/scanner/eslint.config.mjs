// ESLint for the scanner: the security plugin's recommended rules plus the core rules that catch
// dynamic code execution, for JavaScript and TypeScript (parsed, not type-checked). It applies to
// every file the scanner is given, whatever its name, and unignores what ESLint skips by default:
// a submitted node_modules/ or .git/ file runs like any other.
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['!**/node_modules/', '!.git/'] },
  {
    // A function, not '**/*': ESLint lints only files some config matches by more than a catch-all
    // pattern, and would skip `prog` or `tool` (the entrypoint, a #! script) as matching no config.
    files: [() => true],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { security },
    linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
    rules: {
      ...security.configs.recommended.rules,
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'security/detect-child-process': 'error',
      'security/detect-eval-with-expression': 'error',
      'security/detect-non-literal-require': 'error',
    },
  },
];
