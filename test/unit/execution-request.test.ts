import { ExecutionRequest, MAX_FILES } from '../../lib/schemas/execution-request';
import { RelativePath } from '../../lib/schemas/common';
import { normalizeRequest } from '../../lib/node/normalize-request';
import { fieldIssues } from '../../lib/schemas/issues';
import type { RuntimeManifest } from '../../lib/schemas/runtime';
import { loadRuntimes } from '../../lib/node/runtimes';

const python: RuntimeManifest = loadRuntimes().get('python')!.manifest;

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
    expect(issuesOf({ language: 'python', code: 'x', tests: { command: '' } })[0]?.field).toBe('tests.command');
    expect(issuesOf({ language: 'python', code: 'x', tests: {} })).toEqual([]);
    expect(issuesOf({ language: 'python', code: 'x', env: { HOME: '/' } })).toEqual([
      { field: 'env.HOME', message: 'is reserved by the sandbox' },
    ]);
  });

  test('files without an entrypoint are only for tests', () => {
    const files = [{ path: 'lib.py', content: '' }];
    expect(issuesOf({ language: 'python', files })).toEqual([
      { field: 'entrypoint', message: 'is required with files (unless only tests run)' },
    ]);
    expect(issuesOf({ language: 'python', files, tests: {} })).toEqual([]);
  });

  test('cases carry their own stdin, args and expected output', () => {
    expect(issuesOf({ language: 'python', code: 'x', cases: [{ stdin: '1', expectedStdout: '2' }] })).toEqual([]);
    expect(issuesOf({ language: 'python', code: 'x', stdin: 'a', cases: [{}] })).toEqual([
      { field: 'stdin', message: 'give it per case when cases are given' },
    ]);
    expect(issuesOf({ language: 'python', code: 'x', cases: [] })[0]?.field).toBe('cases');
    expect(issuesOf({ language: 'python', code: 'x', cases: Array.from({ length: 101 }, () => ({})) })[0]?.field).toBe(
      'cases',
    );
  });

  test(`at most ${MAX_FILES} files, and as many test files`, () => {
    const files = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, i) => ({ path: `${prefix}${i}.py`, content: '' }));
    expect(MAX_FILES).toBe(100);
    expect(
      issuesOf({ language: 'python', files: files(100, 'f'), entrypoint: 'f0.py', tests: { files: files(100, 't') } }),
    ).toEqual([]);

    const tooMany = issuesOf({ language: 'python', files: files(101, 'f'), entrypoint: 'f0.py' });
    expect(tooMany).toEqual([{ field: 'files', message: expect.stringMatching(/\b100\b/) }]);
    const tooManyTests = issuesOf({ language: 'python', code: 'x', tests: { files: files(101, 't') } });
    expect(tooManyTests).toEqual([{ field: 'tests.files', message: expect.stringMatching(/\b100\b/) }]);
  });

  test('.airlock/ is reserved for build output', () => {
    expect(
      issuesOf({
        language: 'python',
        files: [{ path: '.airlock/bin/main', content: '' }],
        entrypoint: '.airlock/bin/main',
      }),
    ).toEqual([{ field: 'files', message: '".airlock/bin/main": .airlock/ is reserved for build output' }]);
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
      version: ctx.runtime.version,
      policy: 'default',
      files: [{ path: 'main.py', content: 'print(1)', encoding: 'utf8' }],
      entrypoint: 'main.py',
      args: [],
      normalizeTrailingWhitespace: true,
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
