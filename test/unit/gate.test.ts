import { planExecution, PIPELINE_OVERHEAD_MS } from '../../lib/node/execution-plan';
import { Policy } from '../../lib/schemas/policy';
import type { ExecutionInput } from '../../lib/schemas/execution-request';
import type { RuntimeManifest } from '../../lib/schemas/runtime';
import { loadRuntimes } from '../../lib/node/runtimes';

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
const runtimes = loadRuntimes();
const manifest = (name: string): RuntimeManifest => runtimes.get(name)!.manifest;
const runtime: RuntimeManifest = {
  ...manifest('python'),
  run: ['python3', '-u', '{entrypoint}'],
  env: { PYTHONUNBUFFERED: '1' },
};

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
    normalizeTrailingWhitespace: true,
    submittedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

describe('pre-run policy gate', () => {
  test('passes and resolves the plan from the policy defaults', () => {
    const plan = planExecution({ input: input(), policy, policyRef, seccompProfile, runtime });
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
      runtime: { name: 'python', version: '3.13', image: 'airlock/python:3.13' },
      sandbox: { runtime: 'runc', seccompProfile },
      gates: {
        secrets: { enabled: true, blockAt: 'high', warnAt: 'low' },
        staticAnalysis: { enabled: true, blockAt: 'high', warnAt: 'medium' },
        imports: { enabled: true, deny: [], severity: 'high', blockAt: 'high', warnAt: 'low' },
        output: { secrets: 'redact', patterns: [] },
      },
      approval: { required: 'never', timeoutMs: 3_600_000, approvers: 1 },
      retention: { resultsDays: 30, artifactsDays: 7 },
      compile: null,
      runCommand: ['python3', '-u', 'src/app.py', '--flag', 'x y'],
      test: null,
      env: { PYTHONUNBUFFERED: '1', MODE: 'test' },
      budgetMs: 1000 + PIPELINE_OVERHEAD_MS,
    });
  });

  test('a request may tighten limits within the ceilings', () => {
    const plan = planExecution({
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
    const plan = planExecution({
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
    const shell = planExecution({
      input: input({ tests: { command: 'pytest -q', files: [] } }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(shell.test).toEqual({ argv: ['/bin/sh', '-c', 'pytest -q'], report: runtime.test.report });
    expect(shell.budgetMs).toBe(1000 + 2000 + PIPELINE_OVERHEAD_MS);
    const argv = planExecution({
      input: input({ tests: { command: ['pytest', '-q'], files: [] } }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(argv.test?.argv).toEqual(['pytest', '-q']);
    const byDefault = planExecution({
      input: input({ tests: { files: [] } }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(byDefault.test?.argv).toEqual(runtime.test.command);
  });

  test('a compiled language gets a compile stage with its own limits, and placeholders filled as single arguments', () => {
    const plan = planExecution({
      input: input({
        language: 'rust',
        files: [{ path: 'src/main rs.rs', content: '', encoding: 'utf8' }],
        entrypoint: 'src/main rs.rs',
      }),
      policy: { ...policy, languages: ['*'] },
      policyRef,
      seccompProfile,
      runtime: manifest('rust'),
    });
    expect(plan.compile).toEqual({
      argv: ['rustc', '--edition', '2021', '-O', '-o', '.airlock/bin/main', 'src/main rs.rs'],
      timeoutMs: 5000,
      memoryMb: 512,
    });
    expect(plan.runCommand).toEqual(['.airlock/bin/main', '--flag', 'x y']);
    expect(plan.budgetMs).toBe(5000 + 1000 + PIPELINE_OVERHEAD_MS);
  });

  test("a runtime's default limits sit between the policy's defaults and the request", () => {
    const java = { ...policy, languages: ['*'] };
    const byRuntime = planExecution({
      input: input({ language: 'java' }),
      policy: java,
      policyRef,
      seccompProfile,
      runtime: manifest('java'),
    });
    expect(byRuntime.limits).toMatchObject({ memoryMb: 512, pids: 256 });
    const byRequest = planExecution({
      input: input({ language: 'java', limits: { memoryMb: 300 } }),
      policy: java,
      policyRef,
      seccompProfile,
      runtime: manifest('java'),
    });
    expect(byRequest.limits.memoryMb).toBe(300);
  });

  test('tests alone: no run command, and a compile stage only where the runner needs one', () => {
    const tests = { files: [{ path: 'pkg/thing_test.go', content: '', encoding: 'utf8' as const }] };
    const go = planExecution({
      input: input({ language: 'go', entrypoint: null, files: [], tests }),
      policy: { ...policy, languages: ['*'] },
      policyRef,
      seccompProfile,
      runtime: manifest('go'),
    });
    expect(go.runCommand).toBeNull();
    expect(go.compile).toBeNull();
    expect(go.test?.argv).toEqual(['go', 'test', '-json', '-v', './pkg']);
    const java = planExecution({
      input: input({ language: 'java', entrypoint: null, files: [], tests: { files: [] } }),
      policy: { ...policy, languages: ['*'] },
      policyRef,
      seccompProfile,
      runtime: manifest('java'),
    });
    expect(java.compile).not.toBeNull();
  });

  test('cases multiply the run budget', () => {
    const plan = planExecution({
      input: input({ cases: [{ stdin: '1' }, { stdin: '2' }, { stdin: '3' }] }),
      policy,
      policyRef,
      seccompProfile,
      runtime,
    });
    expect(plan.budgetMs).toBe(3 * 1000 + PIPELINE_OVERHEAD_MS);
  });

  test("the imports gate gets the policy's deny list for the execution's language", () => {
    const withDenials = Policy.parse({
      ...policy,
      gates: { imports: { deny: { python: ['subprocess'], go: ['os/exec'] } } },
    });
    const plan = planExecution({ input: input(), policy: withDenials, policyRef, seccompProfile, runtime });
    expect(plan.gates.imports.deny).toEqual(['subprocess']);
  });

  test('base64 files count by their decoded size', () => {
    const file = { path: 'a.bin', content: Buffer.alloc(90).toString('base64'), encoding: 'base64' as const };
    expect(
      planExecution({ input: input({ files: [file] }), policy, policyRef, seccompProfile, runtime }).decision,
    ).toBe('pass');
  });
});
