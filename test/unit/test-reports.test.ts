/**
 * The report parsers against output captured from each runtime's real test runner
 * (test/fixtures/reports, one passing and one failing test each).
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildTestReport } from '../../activities/host/test-reports';
import type { ReportFormat } from '../../lib/schemas/runtime';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'reports', name), 'utf8');

/**
 * Whether a runner's report carries per-test timings. rustc's libtest prints per-test times only
 * with `-Z unstable-options --report-time`, which a stable toolchain refuses, so its results have none.
 */
type Timed = 'timed' | 'untimed';

describe.each<[string, ReportFormat, string, RegExp, RegExp, Timed]>([
  ['pytest', 'junit', 'pytest.xml', /test_passes$/, /assert 2 == 3/, 'timed'],
  ['JUnit Platform console', 'junit', 'junit-platform.xml', /passes\(\)$/, /expected: <3> but was: <2>/, 'timed'],
  ['GoogleTest', 'junit', 'gtest.xml', /Passes$/, /add\(1, 1\)/, 'timed'],
  ['bats', 'junit', 'bats.xml', /passes$/, /-eq 3/, 'timed'],
  ['node:test (JavaScript)', 'tap', 'node-test.tap', /^passes$/, /2 !== 3/, 'timed'],
  ['node:test (TypeScript)', 'tap', 'node-test-ts.tap', /^passes$/, /2 !== 3/, 'timed'],
  ['airlock_test.h', 'tap', 'airlock-test.tap', /^passes$/, /got 2, expected 3/, 'timed'],
  ['go test -json', 'go-json', 'go-test.jsonl', /^TestPasses$/, /1 \+ 1 != 3/, 'timed'],
  ['rustc --test', 'libtest', 'libtest.txt', /passes$/, /left: `2`/, 'untimed'],
  ['minitest', 'minitest', 'minitest.txt', /test_passes$/, /Expected: 3\n\s*Actual: 2/, 'timed'],
])('%s', (_runner, format, file, passName, failMessage, timed) => {
  const report = buildTestReport(format, fixture(file));

  test('finds one passing and one failing test', () => {
    expect(report).toMatchObject({
      framework: format,
      total: 2,
      passed: 1,
      failed: 1,
      errors: 0,
      skipped: 0,
      problem: null,
    });
  });

  test('names each test and explains the failure', () => {
    const passed = report.cases.find((c) => c.status === 'passed')!;
    const failed = report.cases.find((c) => c.status === 'failed')!;
    expect(passed.name).toMatch(passName);
    expect(passed.message).toBeNull();
    expect(failed.message).toMatch(failMessage);
  });

  if (timed === 'timed') {
    test('gives every test a non-negative duration', () => {
      for (const c of report.cases) {
        expect(typeof c.durationMs).toBe('number');
        expect(Number.isFinite(c.durationMs)).toBe(true);
        expect(c.durationMs).toBeGreaterThanOrEqual(0);
      }
    });
  } else {
    test('gives no duration rather than a made-up one', () => {
      for (const c of report.cases) expect(c.durationMs).toBeNull();
    });
  }
});

describe('buildTestReport', () => {
  test('a duration the program could not have taken (negative, not a number) is no duration', () => {
    const xml = '<testsuite><testcase name="a" time="-5"/><testcase name="b" time="soon"/></testsuite>';
    expect(buildTestReport('junit', xml).cases.map((c) => c.durationMs)).toEqual([null, null]);
    const tap = ['TAP version 13', 'ok 1 - a', '  ---', '  duration_ms: soon', '  ...', '1..1'].join('\n');
    expect(buildTestReport('tap', tap).cases.map((c) => c.durationMs)).toEqual([null]);
  });

  test('says why when there is nothing to read', () => {
    expect(buildTestReport('junit', null, 'the runner wrote no report at /x').problem).toBe(
      'the runner wrote no report at /x',
    );
    expect(buildTestReport('tap', 'compiler said no').problem).toBe("no tap results found in the runner's output");
    expect(buildTestReport('junit', '<testsuites><testsuite>').total).toBe(0);
  });

  test('counts skipped and errored tests', () => {
    const xml =
      '<testsuite><testcase name="a"><skipped/></testcase><testcase name="b"><error message="boom">trace</error></testcase></testsuite>';
    expect(buildTestReport('junit', xml)).toMatchObject({ total: 2, skipped: 1, errors: 1, failed: 0 });
    const tap = 'TAP version 13\n1..2\nok 1 - a # SKIP not today\nnot ok 2 - b # TODO later\n';
    expect(buildTestReport('tap', tap)).toMatchObject({ total: 2, skipped: 2 });
  });

  test('keeps at most 500 tests but counts them all, and bounds messages', () => {
    const xml = `<testsuite>${Array.from({ length: 600 }, (_, i) => `<testcase name="t${i}"><failure message="${'x'.repeat(3000)}"/></testcase>`).join('')}</testsuite>`;
    const report = buildTestReport('junit', xml);
    expect(report.total).toBe(600);
    expect(report.failed).toBe(600);
    expect(report.cases).toHaveLength(500);
    expect(report.cases[0]!.message!.length).toBeLessThanOrEqual(2001);
  });
});

describe('report parsing is safe on hostile output (the report lives in the sandbox)', () => {
  test('a DTD with entities is refused rather than expanded', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><testsuite><testcase name="&b;"/></testsuite>`;
    expect(buildTestReport('junit', bomb).problem).toMatch(/DTD/);
  });

  test.each<[ReportFormat, string]>([
    ['libtest', '---- t stdout ----\nx\n'.repeat(50_000)],
    ['minitest', '1) Failure:\nA#b:\nx\n'.repeat(50_000)],
    ['tap', 'ok 1 - t\n  ---\n  error: x\n'.repeat(50_000)],
    ['go-json', '{"Action":"output","Test":"T","Output":"x"}\n'.repeat(50_000)],
  ])('%s: large unterminated input parses in linear time', (format, text) => {
    const started = Date.now();
    buildTestReport(format, text);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
