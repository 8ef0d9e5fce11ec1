import type { TestCaseResult } from '../../../lib/schemas/execution-result';

/** What a parser gets out of a runner's output: one entry per test, in the runner's order. */
export type ParsedTests = TestCaseResult[];

export function seconds(value: string | number | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  // The report comes from the sandboxed program: a time it could not have taken is no time.
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000 * 1000) / 1000 : null;
}
