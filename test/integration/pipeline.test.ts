import crypto from 'node:crypto';
import { TestCluster } from '../support/cluster';
import { containersOf, eventually } from '../support/docker';
import { TEST_CLUSTER } from '../support/test-env';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start();
});

afterAll(async () => {
  await cluster?.stop();
});

async function expectNoContainer(executionId: string): Promise<void> {
  expect(await containersOf(cluster.docker, executionId)).toEqual([]);
}

describe('execution pipeline on Temporal and Docker', () => {
  test('Python hello world runs through every stage and leaves no container', async () => {
    const result = await cluster.run({ language: 'python', code: 'print("hello, airlock")' });
    expect(result.status).toBe('succeeded');
    expect(result.run).toMatchObject({ exitCode: 0, signal: null, stdout: 'hello, airlock\n', stderr: '' });
    expect(result.stages.map((s) => [s.name, s.outcome])).toEqual([
      ['gate', 'succeeded'],
      ['secrets', 'succeeded'],
      ['imports', 'succeeded'],
      ['static-analysis', 'skipped'],
      ['approval', 'skipped'],
      ['provision', 'succeeded'],
      ['compile', 'skipped'],
      ['run', 'succeeded'],
      ['scan', 'succeeded'],
      ['test', 'skipped'],
      ['teardown', 'succeeded'],
    ]);
    expect(result.policy?.name).toBe('default');
    expect(result.host).toBe(cluster.hostId);
    expect(result.image).toMatchObject({
      tag: 'airlock/python:3.13',
      runtimeVersion: expect.stringMatching(/^3\.13\./),
    });
    await expectNoContainer(result.id);
  });

  test('Node hello world', async () => {
    const result = await cluster.run({ language: 'javascript', code: 'console.log("hello from node", 6 * 7)' });
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('hello from node 42\n');
    expect(result.image?.runtimeVersion).toMatch(/^20\./);
  });

  test('stdin reaches the program', async () => {
    const result = await cluster.run({
      language: 'python',
      code: 'import sys\nfor line in sys.stdin: print(line.strip().upper())',
      stdin: 'one\ntwo\n',
    });
    expect(result.run?.stdout).toBe('ONE\nTWO\n');
  });

  test('a non-zero exit is a runtime error with its exit code and stderr', async () => {
    const result = await cluster.run({
      language: 'javascript',
      code: 'console.error("bad input"); process.exit(3)',
    });
    expect(result.status).toBe('runtime_error');
    expect(result.run).toMatchObject({ exitCode: 3, signal: null, stderr: 'bad input\n' });
    expect(result.stages.find((s) => s.name === 'run')).toMatchObject({ outcome: 'failed', detail: 'exit code 3' });
  });

  test('args, env and a multi-file program with an entrypoint', async () => {
    const result = await cluster.run({
      language: 'python',
      files: [
        {
          path: 'app/main.py',
          content: 'import sys, os\nfrom helper import greet\nprint(greet(sys.argv[1]), os.environ["MOOD"])',
        },
        { path: 'app/helper.py', content: 'def greet(n):\n    return "hi " + n' },
      ],
      entrypoint: 'app/main.py',
      args: ['ada'],
      env: { MOOD: 'calm' },
    });
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('hi ada calm\n');
    expect(result.scan?.files.map((f) => f.name).sort()).toEqual(['app/helper.py', 'app/main.py']);
  });

  test('scan records the sha256 and size of the code and of the outputs', async () => {
    const code = 'print("x" * 10)';
    const result = await cluster.run({ language: 'python', code });
    const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
    expect(result.scan?.files).toEqual([{ name: 'main.py', sha256: sha256(code), bytes: code.length }]);
    expect(result.scan?.outputs).toEqual([
      { name: 'run.stdout', sha256: sha256('xxxxxxxxxx\n'), bytes: 11 },
      { name: 'run.stderr', sha256: sha256(''), bytes: 0 },
    ]);
  });

  test('the wall-clock limit kills the container from the host side', async () => {
    const started = Date.now();
    const result = await cluster.run({
      language: 'python',
      code: 'import time, signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("sleeping", flush=True)\ntime.sleep(60)',
      limits: { timeoutMs: 1500 },
    });
    expect(result.status).toBe('time_limit_exceeded');
    expect(result.timeLimit).toBe('wall');
    expect(result.run).toMatchObject({ limitExceeded: 'wall', signal: 'SIGKILL', stdout: 'sleeping\n' });
    expect(result.run!.durationMs).toBeGreaterThanOrEqual(1500);
    expect(result.run!.durationMs).toBeLessThan(5000);
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectNoContainer(result.id);
  });

  test('output past the cap is cut off and the process killed', async () => {
    const result = await cluster.run({
      language: 'python',
      code: 'import sys\nwhile True: sys.stdout.write("A" * 65536)',
    });
    expect(result.status).toBe('output_limit_exceeded');
    expect(result.run?.stdoutTruncated).toBe(true);
    // The whole capture (the cap) is stored; the result keeps its 16 KiB preview.
    expect(result.run?.stdoutRef?.bytes).toBe(262_144);
    expect(result.run?.stdout).toBe('A'.repeat(16_384));
    await expectNoContainer(result.id);
  });

  test('cancelling mid-run kills the program, records the cancellation and removes the container', async () => {
    const { executionId } = await cluster.submit({
      language: 'python',
      code: 'import time\nprint("started", flush=True)\ntime.sleep(120)',
      limits: { timeoutMs: 120_000 },
    });
    // Cancel only once the program really runs inside its container.
    await cluster.waitForStage(executionId, 'run', 'running');
    expect(await containersOf(cluster.docker, executionId)).toHaveLength(1);
    const cancelledAt = Date.now();
    expect(await cluster.executions.cancel(executionId, 'default')).toBe('cancelling');
    const result = await cluster.result(executionId);
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    expect(result.status).toBe('cancelled');
    expect(result.stages.find((s) => s.name === 'run')?.outcome).toBe('cancelled');
    expect(result.stages.find((s) => s.name === 'teardown')).toMatchObject({
      outcome: 'succeeded',
      detail: 'container removed',
    });
    await expectNoContainer(executionId);
  });

  test('a test command runs after the run stage in the same sandbox', async () => {
    const passing = await cluster.run({
      language: 'python',
      code: 'open("out.txt", "w").write("42")\nprint("wrote")',
      tests: {
        command: 'python3 -m unittest -v test_out',
        files: [
          {
            path: 'test_out.py',
            content:
              'import unittest\nclass T(unittest.TestCase):\n    def test_out(self):\n        self.assertEqual(open("out.txt").read(), "42")\n',
          },
        ],
      },
    });
    expect(passing.status).toBe('succeeded');
    expect(passing.tests).toMatchObject({ exitCode: 0 });
    expect(passing.tests?.stderr).toContain('test_out');
    expect(passing.stages.find((s) => s.name === 'test')?.outcome).toBe('succeeded');

    const failing = await cluster.run({
      language: 'javascript',
      code: 'console.log("ran")',
      tests: { command: ['node', '-e', 'require("assert").strictEqual(1, 2)'] },
    });
    expect(failing.status).toBe('tests_failed');
    expect(failing.tests?.exitCode).toBe(1);
    expect(failing.tests?.stderr).toContain('AssertionError');
    expect(failing.stages.find((s) => s.name === 'test')?.outcome).toBe('failed');
  });

  test('the policy gate rejects a request over the ceilings before anything is provisioned', async () => {
    const result = await cluster.run({ language: 'python', code: 'print(1)', limits: { memoryMb: 65_536 } });
    expect(result.status).toBe('rejected');
    expect(result.error?.message).toContain('limits.memoryMb: 65536 exceeds the policy ceiling');
    expect(result.stages.map((s) => [s.name, s.outcome])).toEqual([
      ['gate', 'failed'],
      ['secrets', 'skipped'],
      ['imports', 'skipped'],
      ['static-analysis', 'skipped'],
      ['approval', 'skipped'],
      ['provision', 'skipped'],
      ['compile', 'skipped'],
      ['run', 'skipped'],
      ['scan', 'skipped'],
      ['test', 'skipped'],
      ['teardown', 'skipped'],
    ]);
    await expectNoContainer(result.id);
  });

  test('a container carries its cluster and host, and is named for its execution', async () => {
    const { executionId } = await cluster.submit({
      language: 'python',
      code: 'import time\ntime.sleep(30)',
      limits: { timeoutMs: 30_000 },
    });
    const [container] = await eventually('the container', async () => {
      const list = await containersOf(cluster.docker, executionId);
      return list.length > 0 ? list : undefined;
    });
    expect(container!.Labels).toMatchObject({
      'io.airlock.managed': 'true',
      'io.airlock.cluster': TEST_CLUSTER,
      'io.airlock.host': cluster.hostId,
    });
    expect(container!.Names[0]).toBe(`/airlock-${executionId}`);
    // Made on demand it is labelled with its execution and deadline; claimed from the warm pool
    // (labels cannot change) it keeps its pool's label and is known by its name.
    if (container!.Labels['io.airlock.pool']) {
      expect(container!.Labels['io.airlock.execution']).toBeUndefined();
    } else {
      expect(container!.Labels['io.airlock.execution']).toBe(executionId);
      expect(Number(container!.Labels['io.airlock.deadline'])).toBeGreaterThan(Date.now());
    }
    await cluster.executions.cancel(executionId, 'default');
    expect((await cluster.result(executionId)).status).toBe('cancelled');
    await expectNoContainer(executionId);
  });
});
