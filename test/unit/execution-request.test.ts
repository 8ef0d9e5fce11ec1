import { ExecutionRequest } from '../../lib/schemas/execution-request';
import { RelativePath } from '../../lib/schemas/common';
import { normalizeRequest } from '../../lib/normalize-request';
import { fieldIssues } from '../../lib/schemas/issues';
import type { RuntimeManifest } from '../../lib/schemas/runtime';

const python: RuntimeManifest = {
  name: 'python',
  displayName: 'Python',
  version: '3.11',
  debian: { suite: 'bookworm', packages: ['python3'] },
  versionCommand: ['python3', '--version'],
  sourceFile: 'main.py',
  extensions: ['.py'],
  run: ['python3', '{entrypoint}'],
  env: {},
};

function issuesOf(body: unknown) {
  const parsed = ExecutionRequest.safeParse(body);
  if (parsed.success) return [];
  return fieldIssues(parsed.error);
}

describe('ExecutionRequest', () => {
  test('accepts code, and files with an entrypoint', () => {
    expect(issuesOf({ language: 'python', code: 'print(1)' })).toEqual([]);
    expect(
      issuesOf({
        language: 'python',
        files: [{ path: 'a/b.py', content: 'cHJpbnQoMSk=', encoding: 'base64' }],
        entrypoint: 'a/b.py',
      }),
    ).toEqual([]);
  });

  test('names the field at fault', () => {
    expect(issuesOf({ language: 'Python!', code: 'x' })[0]?.field).toBe('language');
    expect(issuesOf({ language: 'python' })).toEqual([{ field: 'code', message: 'either code or files is required' }]);
    expect(issuesOf({ language: 'python', code: 'x', tests: {} })[0]?.field).toBe('tests.command');
    expect(issuesOf({ language: 'python', code: 'x', env: { HOME: '/' } })).toEqual([
      { field: 'env.HOME', message: 'is reserved by the sandbox' },
    ]);
  });

  test('a test file may not shadow a program file', () => {
    const file = { path: 'main.py', content: '' };
    expect(
      issuesOf({ language: 'python', files: [file], entrypoint: 'main.py', tests: { command: 'x', files: [file] } }),
    ).toEqual([{ field: 'files', message: 'duplicate path "main.py"' }]);
  });
});

describe('RelativePath', () => {
  test.each(['main.py', 'src/app/x.js', '.hidden', 'a..b'])('accepts %s', (p) => {
    expect(RelativePath.safeParse(p).success).toBe(true);
  });
  test.each(['', '/etc/passwd', '../x', 'a/../b', 'a//b', 'a/./b', 'a\\b', 'nul\0', 'x'.repeat(256)])(
    'rejects %j',
    (p) => {
      expect(RelativePath.safeParse(p).success).toBe(false);
    },
  );
});

describe('normalizeRequest', () => {
  const ctx = { executionId: 'ex_1', tenant: 't', keyId: 'k1', runtime: python, now: new Date('2026-01-01T00:00:00Z') };

  test('turns code into the runtime source file and applies defaults', () => {
    const input = normalizeRequest(ExecutionRequest.parse({ language: 'python', code: 'print(1)' }), ctx);
    expect(input).toEqual({
      executionId: 'ex_1',
      tenant: 't',
      keyId: 'k1',
      language: 'python',
      policy: 'default',
      files: [{ path: 'main.py', content: 'print(1)', encoding: 'utf8' }],
      entrypoint: 'main.py',
      args: [],
      env: {},
      limits: {},
      submittedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  test('keeps files, entrypoint, stdin, tests and limits', () => {
    const input = normalizeRequest(
      ExecutionRequest.parse({
        language: 'python',
        files: [{ path: 'app.py', content: 'x' }],
        entrypoint: 'app.py',
        stdin: 'in',
        policy: 'strict',
        limits: { timeoutMs: 5 },
        tests: { command: ['pytest'] },
      }),
      ctx,
    );
    expect(input).toMatchObject({
      entrypoint: 'app.py',
      stdin: 'in',
      policy: 'strict',
      limits: { timeoutMs: 5 },
      tests: { command: ['pytest'], files: [] },
    });
  });
});
