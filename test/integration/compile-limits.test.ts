/**
 * The compile stage's time limit through the real pipeline. A request cannot set it: it is the
 * runtime's `compile.timeoutMs` (60 s for C++), lowered to the policy's `timeoutMs` ceiling. So the
 * workers here load a copy of the shipped policies plus one whose ceiling is a few seconds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { TestCluster } from '../support/cluster';
import { containersOf } from '../support/docker';
import { POLICIES_DIR } from '../../lib/node/paths';
import { loadRuntimes } from '../../lib/node/runtimes';

/** The compile limit under the test policy. RLIMIT_CPU is whole seconds, rounded up (3 s), so the wall timer fires first. */
const COMPILE_LIMIT_MS = 2_500;
/** The C++ runtime's own compile limit, which the policy's ceiling lowers. */
const RUNTIME_COMPILE_LIMIT_MS = loadRuntimes().get('cpp')!.manifest.compile!.timeoutMs;

/**
 * Four hundred million iterations of constant evaluation: GCC interprets them one by one and
 * would run for minutes (until its -fconstexpr-ops-limit) in about 135 MB, far past the limit.
 */
const slowToCompile = `constexpr unsigned long long spin() {
  unsigned long long x = 0;
  for (unsigned long long i = 0; i < 200000; ++i)
    for (unsigned long long j = 0; j < 200000; ++j) x += i ^ j;
  return x;
}
constexpr unsigned long long value = spin();
int main() { return value == 0; }
`;

let cluster: TestCluster;
const policiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-policies-'));

beforeAll(async () => {
  fs.cpSync(POLICIES_DIR, policiesDir, { recursive: true });
  const policy = YAML.parse(fs.readFileSync(path.join(POLICIES_DIR, 'default.yaml'), 'utf8')) as {
    name: string;
    description: string;
    limits: { defaults: Record<string, number>; ceilings: Record<string, number> };
  };
  policy.name = 'quick-compile';
  policy.description = 'The default policy with a time ceiling short enough to cut a compile off.';
  for (const limits of [policy.limits.defaults, policy.limits.ceilings]) {
    limits.timeoutMs = COMPILE_LIMIT_MS;
    limits.cpuTimeMs = COMPILE_LIMIT_MS;
  }
  fs.writeFileSync(path.join(policiesDir, 'quick-compile.yaml'), YAML.stringify(policy));
  cluster = await TestCluster.start({ policiesDir });
});

afterAll(async () => {
  await cluster?.stop();
  fs.rmSync(policiesDir, { recursive: true, force: true });
});

describe('compile limits', () => {
  test('a compile that runs past its time limit is a compile error that says so', async () => {
    const result = await cluster.run({ language: 'cpp', policy: 'quick-compile', code: slowToCompile });

    expect(result.status).toBe('compile_error');
    expect(result.error).toEqual({ type: 'CompileError', message: 'the compiler ran past its time limit' });
    expect(result.compile?.limitExceeded).toBe('wall');
    // Cut off by the policy's ceiling, not the runtime's own limit.
    expect(result.compile?.wallMs).toBeGreaterThanOrEqual(COMPILE_LIMIT_MS);
    expect(result.compile?.wallMs).toBeLessThan(RUNTIME_COMPILE_LIMIT_MS);
    expect(result.stages.find((s) => s.name === 'compile')).toMatchObject({
      outcome: 'failed',
      detail: `killed at the ${COMPILE_LIMIT_MS} ms wall-clock limit`,
    });
    expect(result.stages.find((s) => s.name === 'run')?.outcome).toBe('skipped');
    // The compiler went with the container.
    expect(await containersOf(cluster.docker, result.id)).toEqual([]);
  });
});
