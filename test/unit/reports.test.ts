import { toSarif } from '../../api/reports/sarif';
import { toJunit } from '../../api/reports/junit';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import type { GateResult } from '../../lib/schemas/findings';
import { junitErrors, sarifErrors } from '../support/schemas';

const gates: GateResult[] = [
  {
    gate: 'secrets',
    verdict: 'block',
    findings: [
      {
        gate: 'secrets',
        ruleId: 'github-token',
        severity: 'critical',
        message: 'GitHub token found',
        location: { path: 'src/app.py', line: 3, column: 9 },
        tool: 'airlock-secrets',
      },
    ],
    tools: [{ name: 'airlock-secrets', version: null }],
    error: null,
    note: null,
  },
  {
    gate: 'static-analysis',
    verdict: 'warn',
    findings: [
      {
        gate: 'static-analysis',
        ruleId: 'B307',
        severity: 'medium',
        message: 'eval <& "quoted"',
        location: { path: 'a.py', line: null, column: null },
        tool: 'bandit',
      },
      { gate: 'static-analysis', ruleId: 'B101', severity: 'low', message: 'assert', location: null, tool: 'bandit' },
    ],
    tools: [{ name: 'bandit', version: '1.6.2' }],
    error: null,
    note: null,
  },
  { gate: 'imports', verdict: 'block', findings: [], tools: [], error: 'analyzer crashed', note: null },
];

describe('SARIF', () => {
  const log = toSarif({ id: 'ex_1', gates });

  test('is valid SARIF 2.1.0', () => {
    expect(sarifErrors(log)).toEqual([]);
    expect(sarifErrors({ version: '2.1.0' })).not.toEqual([]);
  });

  test('one run per gate and tool, findings placed and levelled', () => {
    expect(log.runs.map((r) => [r.tool.driver.name, r.properties.verdict, r.results.length])).toEqual([
      ['airlock-secrets', 'block', 1],
      ['bandit', 'warn', 2],
      ['airlock-imports', 'block', 0],
    ]);
    expect(log.runs[0]!.results[0]).toMatchObject({
      ruleId: 'github-token',
      level: 'error',
      locations: [
        { physicalLocation: { artifactLocation: { uri: 'src/app.py' }, region: { startLine: 3, startColumn: 9 } } },
      ],
    });
    expect(log.runs[1]!.results.map((r) => r.level)).toEqual(['warning', 'note']);
    expect(log.runs[2]!.invocations[0]).toEqual({
      executionSuccessful: false,
      toolExecutionNotifications: [{ level: 'error', message: { text: 'analyzer crashed' } }],
    });
  });
});

describe('JUnit', () => {
  const result = {
    id: 'ex_1',
    language: 'python',
    status: 'tests_failed',
    gates: [],
    testReport: {
      framework: 'junit',
      total: 3,
      passed: 1,
      failed: 1,
      errors: 0,
      skipped: 1,
      problem: null,
      cases: [
        { name: 'test_ok', status: 'passed', durationMs: 1.5, message: null },
        { name: 'test_bad', status: 'failed', durationMs: 2, message: 'assert 2 == 3 <&>\nline two' },
        { name: 'test_later', status: 'skipped', durationMs: null, message: 'not yet' },
      ],
    },
    cases: null,
  } as unknown as ExecutionResult;

  test('is valid against the published schema and counts what it holds', async () => {
    const xml = toJunit(result);
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).toContain('<testsuites name="airlock ex_1" tests="3" failures="1" errors="0">');
    expect(xml).toContain('message="assert 2 == 3 &lt;&amp;&gt;"');
    expect(await junitErrors('<testsuites><testcase/></testsuites>')).not.toEqual([]);
  });

  test('judged cases become their own suite', async () => {
    const xml = toJunit({
      ...result,
      testReport: null,
      cases: [
        { index: 0, status: 'succeeded', wallMs: 10, exitCode: 0 },
        { index: 1, status: 'wrong_answer', wallMs: 12, exitCode: 0 },
      ],
    } as unknown as ExecutionResult);
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).toContain('<testsuite name="python cases" tests="2" failures="1"');
  });

  test('each gate is a test case: a block fails it with the findings, a gate that could not run errors', async () => {
    const finding = {
      gate: 'secrets',
      ruleId: 'aws-access-key-id',
      severity: 'critical',
      message: 'AWS access key id',
      location: { path: 'app/settings.py', line: 1, column: 21 },
      tool: 'airlock-secrets',
    };
    const gate = { tools: [], note: null, error: null, findings: [] };
    const xml = toJunit({
      ...result,
      status: 'rejected',
      testReport: null,
      gates: [
        { ...gate, gate: 'secrets', verdict: 'block', findings: [finding] },
        { ...gate, gate: 'imports', verdict: 'warn' },
        { ...gate, gate: 'static-analysis', verdict: 'block', error: 'bandit exited 2' },
      ],
    } as unknown as ExecutionResult);
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).toContain('<testsuite name="airlock gates" tests="3" failures="1" errors="1"');
    expect(xml).toContain(
      '<failure message="critical aws-access-key-id app/settings.py:1: AWS access key id">critical aws-access-key-id app/settings.py:1: AWS access key id</failure>',
    );
    expect(xml).toMatch(/<testcase name="imports" classname="airlock.gates" time="0.000"\/>/);
    expect(xml).toContain('<error message="bandit exited 2">bandit exited 2</error>');
  });
});
