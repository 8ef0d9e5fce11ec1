/**
 * `airlock gate` and `airlock audit` as CI runs them: the real CLI against the real API and cluster.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/node/paths';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { createTestApi } from '../support/api';
import { TestCluster } from '../support/cluster';
import { junitErrors, sarifErrors } from '../support/schemas';

let cluster: TestCluster;
let server: Server;
let url: string;
let apiKey: string;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-gate-'));

beforeAll(async () => {
  cluster = await TestCluster.start();
  const { app, key } = createTestApi(cluster);
  apiKey = key;
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await cluster?.stop();
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function airlock(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'airlock'), ...args], {
      cwd,
      // A CI runner's own GitHub variables must not leak into the runs that do not set them.
      env: {
        ...process.env,
        GITHUB_ACTIONS: '',
        GITHUB_STEP_SUMMARY: '',
        AIRLOCK_URL: url,
        AIRLOCK_API_KEY: apiKey,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A checkout with the given files, as a CI job would have it. */
function checkout(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const CALC = 'def add(a, b):\n    return a + b\n';
const PASSING_TESTS = 'from app.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n';

async function reports(dir: string): Promise<{ sarif: { runs: Array<{ results: unknown[] }> }; junit: string }> {
  const sarif = JSON.parse(fs.readFileSync(path.join(dir, 'airlock.sarif'), 'utf8')) as {
    runs: Array<{ results: unknown[] }>;
  };
  const junit = fs.readFileSync(path.join(dir, 'airlock-junit.xml'), 'utf8');
  expect(sarifErrors(sarif)).toEqual([]);
  expect(await junitErrors(junit)).toEqual([]);
  return { sarif, junit };
}

const executionIdOf = (out: CliRun): string => /execution (ex_[0-9a-f]{32})/.exec(out.stdout)![1]!;

describe('airlock gate', () => {
  let passedId: string;

  test('clean code whose tests pass: exit 0, a summary, and schema-valid SARIF and JUnit', async () => {
    const dir = checkout('clean', { 'app/__init__.py': '', 'app/calc.py': CALC, 'tests/test_calc.py': PASSING_TESTS });
    // The language is inferred from the files; the default policy is ci-gate.
    const out = await airlock(dir, ['gate']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^airlock gate: SUCCEEDED \(execution ex_[0-9a-f]{32}, policy ci-gate\)$/m);
    expect(out.stdout).toMatch(/^ {2}secrets +pass +0 finding\(s\)$/m);
    expect(out.stdout).toMatch(/^ {2}tests +1\/1 passed, 0 failed/m);
    expect(out.stdout).not.toContain('::');
    const { sarif, junit } = await reports(dir);
    expect(sarif.runs.flatMap((r) => r.results)).toEqual([]);
    expect(junit).toMatch(/<testcase [^>]*name="tests\.test_calc\.test_add"/);
    passedId = executionIdOf(out);

    // Running again in the same checkout does not submit the reports it wrote.
    const again = await airlock(dir, ['gate', '--lang', 'python']);
    expect(again.code).toBe(0);
    const result = (await cluster.executions.get(executionIdOf(again), 'default')) as ExecutionResult;
    expect(result.scan?.files.map((f) => f.name).sort()).toEqual([
      'app/__init__.py',
      'app/calc.py',
      'tests/test_calc.py',
    ]);
  });

  test('a planted secret fails the gate (exit 1), with its finding in SARIF and as a GitHub annotation', async () => {
    const dir = checkout('secret', {
      'app/__init__.py': '',
      'app/calc.py': CALC,
      'app/settings.py': 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n',
      'tests/test_calc.py': PASSING_TESTS,
    });
    const summaryFile = path.join(root, 'step-summary.md');
    const out = await airlock(dir, ['gate', 'app', 'tests'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^airlock gate: REJECTED/m);
    expect(out.stdout).toMatch(/^ {6}critical +aws-access-key-id app\/settings\.py:1 /m);
    expect(out.stdout).toMatch(/^::error file=app\/settings\.py,line=1,title=secrets%3A aws-access-key-id::/m);
    expect(fs.readFileSync(summaryFile, 'utf8')).toContain('| secrets | block | 1 |');
    const { sarif, junit } = await reports(dir);
    // GitLab reads only JUnit, so the blocked gate is a failed test case there.
    expect(junit).toMatch(
      /<testcase name="secrets" classname="airlock\.gates"[^>]*>\s*<failure message="critical aws-access-key-id app\/settings\.py:1/,
    );
    expect(sarif.runs.flatMap((r) => r.results)).toEqual([
      expect.objectContaining({
        ruleId: 'aws-access-key-id',
        level: 'error',
        locations: [
          expect.objectContaining({
            physicalLocation: expect.objectContaining({
              artifactLocation: expect.objectContaining({ uri: 'app/settings.py' }),
              region: expect.objectContaining({ startLine: 1 }),
            }),
          }),
        ],
      }),
    ]);
  });

  test('a failing test fails the gate (exit 1), with the failure in JUnit', async () => {
    const dir = checkout('failing', {
      'app/__init__.py': '',
      'app/calc.py': 'def add(a, b):\n    return a - b\n',
      'tests/test_calc.py': PASSING_TESTS,
    });
    // A custom test command writes its JUnit report where the runtime's own runner does.
    const command = 'python3 -m pytest -q -p no:cacheprovider --junitxml=/workspace/.airlock/reports/junit.xml tests';
    const out = await airlock(dir, ['gate', '--test', command], { GITHUB_ACTIONS: 'true' });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^airlock gate: TESTS_FAILED/m);
    expect(out.stdout).toMatch(/^::error title=test tests\.test_calc\.test_add::assert -1 == 3%0A/m);
    const { junit } = await reports(dir);
    expect(junit).toMatch(/<testcase [^>]*name="tests\.test_calc\.test_add"[^>]*>\s*<failure message="assert -1 == 3"/);
  });

  test('an absolute path from another directory, and --language: files named from the path given', async () => {
    const dir = checkout('absolute', {
      'app/__init__.py': '',
      'app/calc.py': CALC,
      'tests/test_calc.py': PASSING_TESTS,
    });
    const elsewhere = checkout('elsewhere', {});
    // As a CI job passes $GITHUB_WORKSPACE/src, from a directory that does not hold it.
    const out = await airlock(elsewhere, ['gate', dir, '--language', 'python']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const result = (await cluster.executions.get(executionIdOf(out), 'default')) as ExecutionResult;
    expect(result.language).toBe('python');
    expect(result.scan?.files.map((f) => f.name).sort()).toEqual([
      'app/__init__.py',
      'app/calc.py',
      'tests/test_calc.py',
    ]);
    await reports(elsewhere);
    // The same checkout by absolute paths from inside it: the names its relative paths give.
    const inside = await airlock(dir, ['gate', path.join(dir, 'app'), path.join(dir, 'tests')]);
    expect(inside.code).toBe(0);
    const again = (await cluster.executions.get(executionIdOf(inside), 'default')) as ExecutionResult;
    expect(again.scan?.files.map((f) => f.name).sort()).toEqual(result.scan?.files.map((f) => f.name).sort());
    const both = await airlock(dir, ['gate', '-l', 'python', '--language', 'python']);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining("cannot be used with option '-l, --lang") });
  });

  test('a committed link to /proc/self/environ is refused, and nothing of the CLI environment reaches the sandbox', async () => {
    const dir = checkout('leak', {
      'app/__init__.py': '',
      'app/calc.py': CALC,
      // A test that fails on purpose and prints what it can see, as a change that wants the secret would.
      'tests/test_env.py': 'import os\n\n\ndef test_env():\n    assert False, repr(dict(os.environ))\n',
    });
    fs.symlinkSync('/proc/self/environ', path.join(dir, 'app', 'leak.txt'));
    const secretEnv = { AIRLOCK_GATE_TEST_SECRET: 'do-not-leak-4f9c' };
    const refused = await airlock(dir, ['gate'], secretEnv);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"app/leak.txt" is a link to "/proc/self/environ", outside .: refused');
    expect(fs.existsSync(path.join(dir, 'airlock.sarif'))).toBe(false);

    fs.rmSync(path.join(dir, 'app', 'leak.txt'));
    const out = await airlock(dir, ['gate'], { ...secretEnv, GITHUB_ACTIONS: 'true' });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^airlock gate: TESTS_FAILED/m);
    const { junit } = await reports(dir);
    // The test did print the sandbox's environment: the CLI's is not in it.
    expect(junit).toContain('HOME');
    for (const text of [out.stdout, junit, fs.readFileSync(path.join(dir, 'airlock.sarif'), 'utf8')]) {
      expect(text).not.toContain('do-not-leak-4f9c');
      expect(text).not.toContain(apiKey);
    }
  });

  test('--tests-from: a change that weakens its own tests is judged by the base branch’s', async () => {
    const base = checkout('base-branch', { 'tests/test_calc.py': PASSING_TESTS });
    const dir = checkout('weakened', {
      'app/__init__.py': '',
      'app/calc.py': 'def add(a, b):\n    return a - b\n',
      // The change "fixes" the failing test by making it assert nothing.
      'tests/test_calc.py': 'def test_add():\n    assert True\n',
    });
    const own = await airlock(dir, ['gate']);
    expect(own.code).toBe(0);
    const judged = await airlock(dir, ['gate', '--tests-from', base]);
    expect(judged.code).toBe(1);
    expect(judged.stdout).toMatch(/^airlock gate: TESTS_FAILED/m);
    expect(judged.stdout).toContain(`tests from ${base}: 1 file(s); the change's own copies of 1 were set aside`);
    const { junit } = await reports(dir);
    expect(junit).toMatch(/<testcase [^>]*name="tests\.test_calc\.test_add"[^>]*>\s*<failure message="assert -1 == 3"/);
  });

  test('an error of its own exits 2 with the reason', async () => {
    const dir = checkout('errors', { 'main.py': 'print(1)\n', 'notes.xyz': 'x' });
    const unknownLang = await airlock(dir, ['gate', '--lang', 'cobol']);
    expect(unknownLang.code).toBe(2);
    expect(unknownLang.stderr).toMatch(/^airlock gate: .*language.*unknown runtime "cobol"/);
    const unknownPolicy = await airlock(dir, ['gate', '--policy', 'lenient']);
    expect(unknownPolicy).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown policy "lenient"') });
    const noLanguage = await airlock(dir, ['gate', 'notes.xyz']);
    expect(noLanguage).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --lang') });
    const missing = await airlock(dir, ['gate', 'nowhere']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read "nowhere"') });
    const down = await airlock(dir, ['gate'], { AIRLOCK_URL: 'http://127.0.0.1:9' });
    expect(down).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot reach Airlock') });
    const badOption = await airlock(dir, ['gate', '--colour']);
    expect(badOption.code).toBe(2);
    expect(fs.existsSync(path.join(dir, 'airlock.sarif'))).toBe(false);
  });

  describe('airlock audit', () => {
    test('replays a finished execution and prints every decision on its timeline', async () => {
      const dir = checkout('audit', {});
      const out = await airlock(dir, ['audit', passedId, '--json', 'report.json', '--history', 'history.json']);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const result = (await cluster.executions.get(passedId, 'default')) as ExecutionResult;
      expect(out.stdout).toContain(`execution  ${passedId}`);
      expect(out.stdout).toMatch(/^submitter {2}tenant default, key [0-9a-f]{16}$/m);
      expect(out.stdout).toContain(`policy     ci-gate sha256 ${result.policy!.sha256}`);
      expect(out.stdout).toContain(
        `image      ${result.image!.id} definition sha256 ${result.image!.definitionSha256}`,
      );
      for (const gate of result.gates) expect(out.stdout).toContain(`gate       ${gate.gate}: ${gate.verdict}`);
      expect(out.stdout).toMatch(/^result {5}succeeded$/m);
      expect(out.stdout).toMatch(/^teardown {3}confirmed: /m);
      expect(out.stdout).toMatch(
        /^seal {7}valid: signed by key [0-9a-f]{16} at \S+; all \d+ sealed parts match the history$/m,
      );
      expect(out.stdout).toMatch(/^replay {5}deterministic/m);
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      expect(report).toMatchObject({
        executionId: passedId,
        policy: result.policy,
        image: result.image,
        gates: result.gates.map((g) => expect.objectContaining({ gate: g.gate, verdict: g.verdict })),
        // Tests only: nothing ran but the tests, so there is no program exit code.
        result: { status: 'succeeded', exitCode: null },
        replay: { deterministic: true, error: null },
      });
      expect(report.code.files.map((f: { path: string }) => f.path)).toEqual([
        'app/__init__.py',
        'app/calc.py',
        'tests/test_calc.py',
      ]);
    });

    test('audit verify checks an exported history offline, and catches a tampered one', async () => {
      const dir = path.join(root, 'audit');
      const offline = { AIRLOCK_URL: 'http://127.0.0.1:9' };
      const verified = await airlock(dir, ['audit', 'verify', 'history.json', '--json', 'offline.json'], offline);
      expect(verified.code).toBe(0);
      const online = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'offline.json'), 'utf8'))).toEqual(online);

      // History that says a different activity ran first is not what this workflow code does.
      const history = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8'));
      const scheduled = history.events.find(
        (e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes,
      );
      scheduled.activityTaskScheduledEventAttributes.activityType.name = 'skipPolicyGate';
      fs.writeFileSync(path.join(dir, 'tampered.json'), JSON.stringify(history));
      const tampered = await airlock(dir, ['audit', 'verify', 'tampered.json'], offline);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toMatch(/^replay {5}FAILED: .*skipPolicyGate/m);

      const unreadable = await airlock(dir, ['audit', 'verify', 'missing.json'], offline);
      expect(unreadable).toMatchObject({ code: 125, stderr: expect.stringContaining('cannot read history') });
    });
  });
});
