import { evaluateGate, PIPELINE_OVERHEAD_MS } from '../../lib/gate';
import { Policy } from '../../lib/schemas/policy';
import type { ExecutionInput } from '../../lib/schemas/execution-request';
import type { RuntimeManifest } from '../../lib/schemas/runtime';

const policy = Policy.parse({
  name: 'p',
  languages: ['python'],
  limits: {
    defaults: {
      timeoutMs: 1000,
      cpuTimeMs: 1000,
      memoryMb: 128,
      cpus: 1,
      pids: 64,
      openFiles: 256,
      fileSizeMb: 8,
      outputBytes: 1024,
      testTimeoutMs: 2000,
    },
    ceilings: { timeoutMs: 5000, cpuTimeMs: 3000, memoryMb: 512 },
  },
  input: { maxTotalBytes: 100 },
});
const policyRef = { name: 'p', sha256: 'abc' };
const seccompProfile = { name: 'strict', sha256: 'def' };
const runtime = {
  name: 'python',
  run: ['python3', '-u', '{entrypoint}'],
  env: { PYTHONUNBUFFERED: '1' },
} as unknown as RuntimeManifest;

function input(overrides: Partial<ExecutionInput> = {}): ExecutionInput {
  return {
    executionId: 'ex_1',
    tenant: 't',
    keyId: 'k1',
    language: 'python',
    policy: 'p',
    files: [{ path: 'src/app.py', content: 'print(1)', encoding: 'utf8' }],
    entrypoint: 'src/app.py',
    args: ['--flag', 'x y'],
    env: { MODE: 'test' },
    limits: {},
    submittedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

describe('pre-run policy gate', () => {
  test('passes and resolves the plan from the policy defaults', () => {
    const plan = evaluateGate({ input: input(), policy, policyRef, seccompProfile, runtime });
    expect(plan).toEqual({
      decision: 'pass',
      reasons: [],
      policy: policyRef,
      limits: {
        timeoutMs: 1000,
        cpuTimeMs: 1000,
        memoryMb: 128,
        cpus: 1,
        pids: 64,
        openFiles: 256,
        fileSizeMb: 8,
        outputBytes: 1024,
        testTimeoutMs: 2000,
      },
      runtime: { name: 'python', image: 'airlock/python:latest' },
      sandbox: { runtime: 'runc', seccompProfile },
      runCommand: ['python3', '-u', 'src/app.py', '--flag', 'x y'],
      testCommand: null,
      env: { PYTHONUNBUFFERED: '1', MODE: 'test' },
      budgetMs: 1000 + PIPELINE_OVERHEAD_MS,
    });
  });

  test('a request may tighten limits within the ceilings', () => {
    const plan = evaluateGate({
      input: input({ limits: { timeoutMs: 4000, memoryMb: 64 } }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(plan.decision).toBe('pass');
    expect(plan.limits).toMatchObject({ timeoutMs: 4000, memoryMb: 64 });
  });

  test('blocks limits above the ceilings, disallowed languages and oversized input, with every reason', () => {
    const plan = evaluateGate({
      input: input({
        language: 'ruby',
        limits: { timeoutMs: 6000, cpuTimeMs: 3001, memoryMb: 1024 },
        stdin: 'x'.repeat(200),
      }),
      policy,
      policyRef,
      seccompProfile,
      runtime: undefined,
    });
    expect(plan.decision).toBe('block');
    expect(plan.reasons).toEqual([
      'language: "ruby" has no runtime installed',
      'language: "ruby" is not allowed by policy "p"',
      'limits.timeoutMs: 6000 exceeds the policy ceiling 5000',
      'limits.cpuTimeMs: 3001 exceeds the policy ceiling 3000',
      'limits.memoryMb: 1024 exceeds the policy ceiling 512',
      "code: code, files and stdin come to 208 bytes, over the policy's 100",
    ]);
  });

  test('a test command turns into an argv and extends the budget', () => {
    const shell = evaluateGate({
      input: input({ tests: { command: 'pytest -q', files: [] } }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(shell.testCommand).toEqual(['/bin/sh', '-c', 'pytest -q']);
    expect(shell.budgetMs).toBe(1000 + 2000 + PIPELINE_OVERHEAD_MS);
    const argv = evaluateGate({
      input: input({ tests: { command: ['pytest', '-q'], files: [] } }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(argv.testCommand).toEqual(['pytest', '-q']);
  });

  test('base64 files count by their decoded size', () => {
    const file = { path: 'a.bin', content: Buffer.alloc(90).toString('base64'), encoding: 'base64' as const };
    expect(evaluateGate({ input: input({ files: [file] }), policy, policyRef, seccompProfile, runtime }).decision).toBe(
      'pass',
    );
  });
});
