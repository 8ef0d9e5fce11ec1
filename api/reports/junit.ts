import { XMLBuilder } from 'fast-xml-parser';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import type { Finding } from '../../lib/schemas/findings';

interface Case {
  name: string;
  classname: string;
  time: number;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  message: string | null;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  format: true,
  suppressEmptyNode: true,
  attributeNamePrefix: '@_',
});

/**
 * The execution's gates, tests and judged cases as JUnit XML, the format GitLab, Jenkins and
 * GitHub's test-report actions read: one suite each. Gates are test cases too, so a CI system that
 * reads only JUnit still shows why a gate failed.
 */
export function toJunit(
  result: Pick<ExecutionResult, 'id' | 'language' | 'gates' | 'testReport' | 'cases' | 'status'>,
): string {
  const suites: Array<{ name: string; cases: Case[] }> = [];
  if (result.gates.length > 0) {
    suites.push({
      name: 'airlock gates',
      cases: result.gates.map((g) => ({
        name: g.gate,
        classname: 'airlock.gates',
        time: 0,
        outcome: g.verdict !== 'block' ? 'passed' : g.error ? 'error' : 'failed',
        message: g.verdict !== 'block' ? null : (g.error ?? g.findings.map(describeFinding).join('\n')),
      })),
    });
  }
  if (result.testReport) {
    suites.push({
      name: `${result.language} tests`,
      cases: result.testReport.cases.map((c) => ({
        name: c.name,
        classname: `airlock.${result.language}`,
        time: (c.durationMs ?? 0) / 1000,
        outcome: c.status,
        message: c.message,
      })),
    });
  }
  if (result.cases) {
    suites.push({
      name: `${result.language} cases`,
      cases: result.cases.map((c) => ({
        name: `case ${c.index}`,
        classname: `airlock.${result.language}.cases`,
        time: c.wallMs / 1000,
        outcome: c.status === 'succeeded' ? 'passed' : 'failed',
        message: c.status === 'succeeded' ? null : `${c.status}${c.exitCode !== null ? ` (exit ${c.exitCode})` : ''}`,
      })),
    });
  }
  const count = (cases: Case[], outcome: Case['outcome']) => cases.filter((c) => c.outcome === outcome).length;
  const xml = builder.build({
    testsuites: {
      '@_name': `airlock ${result.id}`,
      '@_tests': suites.reduce((n, s) => n + s.cases.length, 0),
      '@_failures': suites.reduce((n, s) => n + count(s.cases, 'failed'), 0),
      '@_errors': suites.reduce((n, s) => n + count(s.cases, 'error'), 0),
      testsuite: suites.map((s) => ({
        '@_name': s.name,
        '@_tests': s.cases.length,
        '@_failures': count(s.cases, 'failed'),
        '@_errors': count(s.cases, 'error'),
        '@_skipped': count(s.cases, 'skipped'),
        '@_time': s.cases.reduce((t, c) => t + c.time, 0).toFixed(3),
        testcase: s.cases.map((c) => ({
          '@_name': c.name,
          '@_classname': c.classname,
          '@_time': c.time.toFixed(3),
          ...(c.outcome === 'failed'
            ? { failure: { '@_message': firstLine(c.message), '#text': c.message ?? '' } }
            : {}),
          ...(c.outcome === 'error' ? { error: { '@_message': firstLine(c.message), '#text': c.message ?? '' } } : {}),
          ...(c.outcome === 'skipped' ? { skipped: { '@_message': firstLine(c.message) } } : {}),
        })),
      })),
    },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}

function describeFinding(f: Finding): string {
  const where = f.location ? ` ${f.location.path}${f.location.line ? `:${f.location.line}` : ''}` : '';
  return `${f.severity} ${f.ruleId}${where}: ${f.message}`;
}

function firstLine(text: string | null): string {
  return (text ?? '').split('\n')[0]!.slice(0, 500);
}
