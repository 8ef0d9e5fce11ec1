import type { CaseResult, ProcessResult } from './schemas/execution-result';
import type { TerminalStatus } from './vocabulary';
import { classifyRun, type Classification } from './classify';

/** Trailing spaces and tabs on each line, and trailing blank lines, do not count. */
export function normalizeOutput(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\r]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

export function outputMatches(actual: string, expected: string, normalizeTrailingWhitespace: boolean): boolean {
  return normalizeTrailingWhitespace ? normalizeOutput(actual) === normalizeOutput(expected) : actual === expected;
}

/** A run judged against its expected output: a correct program that prints the wrong thing is a wrong answer. */
export function judgeRun(
  run: ProcessResult,
  expectedStdout: string | undefined,
  normalizeTrailingWhitespace: boolean,
): Classification & { matched: boolean | null } {
  const classification = classifyRun(run);
  if (expectedStdout === undefined) return { ...classification, matched: null };
  // The host compares the whole stdout when the result holds only its preview (see ExecInput.expected).
  const matched =
    run.expectedStdoutMatched ??
    (!run.stdoutTruncated && outputMatches(run.stdout, expectedStdout, normalizeTrailingWhitespace));
  if (classification.status === 'succeeded' && !matched) return { status: 'wrong_answer', timeLimit: null, matched };
  return { ...classification, matched };
}

/** Every case passed, or the first one that did not decides. */
export function casesOutcome(cases: CaseResult[]): { status: TerminalStatus; timeLimit: Classification['timeLimit'] } {
  const failed = cases.find((c) => c.status !== 'succeeded');
  if (!failed) return { status: 'succeeded', timeLimit: null };
  return {
    status: failed.status,
    timeLimit: failed.status === 'time_limit_exceeded' ? classifyRun(failed).timeLimit : null,
  };
}
