import type { ReportFormat } from '../../../lib/schemas/runtime';
import type { TestReport } from '../../../lib/schemas/execution-result';
import { parseJunit } from './junit';
import { parseTap } from './tap';
import { parseGoJson } from './go-json';
import { parseLibtest } from './libtest';
import { parseMinitest } from './minitest';
import type { ParsedTests } from './types';

/** Results kept per execution; `total` still counts every test. */
export const MAX_REPORTED_TESTS = 500;
const MAX_MESSAGE_CHARS = 2_000;

const PARSERS: Record<ReportFormat, (text: string) => ParsedTests> = {
  junit: parseJunit,
  tap: parseTap,
  'go-json': parseGoJson,
  libtest: parseLibtest,
  minitest: parseMinitest,
};

/** Turns a runner's report into per-test results and totals; a report that cannot be read says why. */
export function buildTestReport(
  format: ReportFormat,
  text: string | null,
  missing = 'the runner wrote no report',
): TestReport {
  let cases: ParsedTests = [];
  let problem: string | null = null;
  if (text === null || text.trim() === '') {
    problem = missing;
  } else {
    try {
      cases = PARSERS[format](text);
      if (cases.length === 0) problem = `no ${format} results found in the runner's output`;
    } catch (err) {
      problem = `the ${format} report could not be parsed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const count = (status: string) => cases.filter((c) => c.status === status).length;
  return {
    framework: format,
    total: cases.length,
    passed: count('passed'),
    failed: count('failed'),
    errors: count('error'),
    skipped: count('skipped'),
    cases: cases.slice(0, MAX_REPORTED_TESTS).map((c) => ({
      ...c,
      message:
        c.message && c.message.length > MAX_MESSAGE_CHARS ? `${c.message.slice(0, MAX_MESSAGE_CHARS)}…` : c.message,
    })),
    problem,
  };
}
