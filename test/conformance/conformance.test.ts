/**
 * The conformance suite: every version of every language through the real pipeline, for every
 * behaviour a developer relies on. One cluster for the file; each version is a describe block.
 */
import crypto from 'node:crypto';
import { TestCluster } from '../support/cluster';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { loadRuntimes } from '../../lib/node/runtimes';
import { PROGRAMS, type LanguagePrograms } from './programs';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

const runtimes = loadRuntimes();
const VERSIONS = PROGRAMS.flatMap((p) =>
  runtimes.versions(p.language).map((v) => ({ p, version: v.manifest.version })),
);

test('every runtime has conformance programs', () => {
  expect(runtimes.languages().sort()).toEqual(PROGRAMS.map((p) => p.language).sort());
});

describe.each(VERSIONS)('$p.language $version', ({ p, version }: { p: LanguagePrograms; version: string }) => {
  const { language } = p;
  const compiled = p.compileError !== undefined;
  // Every request names the version; the image must be that version's.
  const run = async (request: Record<string, unknown>): Promise<ExecutionResult> => {
    const result = await cluster.run({ ...request, version });
    expect(result.image?.tag).toBe(`airlock/${language}:${version}`);
    return result;
  };

  test('hello world', async () => {
    const result = await run({ language, code: p.hello });
    expect([result.status, result.run?.stdout]).toEqual(['succeeded', 'hello, world\n']);
    expect(result.stages.find((s) => s.name === 'compile')?.outcome).toBe(compiled ? 'succeeded' : 'skipped');
  });

  test('stdin is echoed', async () => {
    const result = await run({ language, code: p.echo, stdin: 'line one\nline two\n' });
    expect([result.status, result.run?.stdout]).toEqual(['succeeded', 'line one\nline two\n']);
  });

  test('args reach the program', async () => {
    const result = await run({ language, code: p.args, args: ['alpha', 'beta gamma'] });
    expect([result.status, result.run?.stdout]).toEqual(['succeeded', 'alpha beta gamma\n']);
  });

  test('a specific exit code', async () => {
    const result = await run({ language, code: p.exit3 });
    expect([result.status, result.run?.exitCode]).toEqual(['runtime_error', 3]);
  });

  test('a runtime error', async () => {
    const result = await run({ language, code: p.runtimeError.code });
    expect(result.status).toBe(p.runtimeError.status);
    expect(result.run?.exitCode).not.toBe(0);
    if (p.runtimeError.stderr) expect(result.run?.stderr).toMatch(p.runtimeError.stderr);
  });

  test('a timeout', async () => {
    const result = await run({ language, code: p.sleep, limits: { timeoutMs: 1_500 } });
    expect([result.status, result.timeLimit]).toEqual(['time_limit_exceeded', 'wall']);
  });

  if (p.compileError !== undefined) {
    const compileError = p.compileError;
    test('a compile error', async () => {
      const result = await run({ language, code: compileError });
      expect(result.status).toBe('compile_error');
      expect(result.compile?.exitCode).not.toBe(0);
      expect(`${result.compile?.stderr}${result.compile?.stdout}`.length).toBeGreaterThan(0);
      expect(result.error?.type).toBe('CompileError');
      expect(result.stages.find((s) => s.name === 'run')?.outcome).toBe('skipped');
    });
  }

  test('expected output: a pass and a wrong answer', async () => {
    const pass = await run({ language, code: p.hello, expectedStdout: 'hello, world  \n\n' });
    expect(pass.status).toBe('succeeded');
    const strict = await run({
      language,
      code: p.hello,
      expectedStdout: 'hello, world  ',
      normalizeTrailingWhitespace: false,
    });
    expect(strict.status).toBe('wrong_answer');
    const wrong = await run({ language, code: p.hello, expectedStdout: 'goodbye, world\n' });
    expect(wrong.status).toBe('wrong_answer');
    expect(wrong.stages.find((s) => s.name === 'run')?.detail).toBe('stdout differs from the expected output');
  });

  test('a multi-file program', async () => {
    const result = await run({ language, files: p.multiFile.files, entrypoint: p.multiFile.entrypoint });
    expect([result.status, result.run?.stdout]).toEqual(['succeeded', 'hello, multi\n']);
  });

  test('a test stage with one passing and one failing test', async () => {
    const result = await run({ language, code: p.tests.code, tests: { files: p.tests.files } });
    // The report first: when it is missing, its `problem` says why.
    const report = result.testReport!;
    expect(report).toMatchObject({ total: 2, passed: 1, failed: 1, errors: 0, skipped: 0, problem: null });
    expect(result.status).toBe('tests_failed');
    const byStatus = Object.fromEntries(report.cases.map((c) => [c.status, c]));
    expect(byStatus.passed?.name).toMatch(/pass/i);
    expect(byStatus.failed?.name).toMatch(/fail/i);
    expect(byStatus.failed?.message).toEqual(expect.any(String));
  });
});

const run = (request: Record<string, unknown>): Promise<ExecutionResult> => cluster.run(request);

describe('files sent as base64', () => {
  test('non-UTF-8 bytes reach the program unchanged', async () => {
    // Every byte value, then sequences no UTF-8 decoder accepts: a lone continuation byte, a
    // truncated two-byte sequence, an overlong NUL and bytes that never occur in UTF-8.
    const bytes = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from([0x80, 0xc3, 0x28, 0xc0, 0x80, 0xfe, 0xff, 0xf5]),
    ]);
    expect(bytes.equals(Buffer.from(bytes.toString('utf8'), 'utf8'))).toBe(false);
    const digest = crypto.createHash('sha256').update(bytes).digest('hex');

    const result = await run({
      language: 'python',
      files: [
        {
          path: 'main.py',
          content: [
            'import hashlib',
            'data = open("data/blob.bin", "rb").read()',
            'print(len(data), hashlib.sha256(data).hexdigest())',
          ].join('\n'),
        },
        { path: 'data/blob.bin', content: bytes.toString('base64'), encoding: 'base64' },
      ],
      entrypoint: 'main.py',
    });
    expect([result.status, result.run?.stdout]).toEqual(['succeeded', `${bytes.length} ${digest}\n`]);
    // The scan recorded the decoded bytes' digest; the file in the workspace hashed the same
    // afterwards, so it is not listed as something the program wrote.
    expect(result.scan?.files).toContainEqual({ name: 'data/blob.bin', sha256: digest, bytes: bytes.length });
    expect(result.scan?.artifacts.map((a) => a.name)).not.toContain('data/blob.bin');
  });
});
