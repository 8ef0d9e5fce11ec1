import type { ParsedTests } from './types';

/** rustc's built-in harness, plain format: `test path::name ... ok|FAILED|ignored`, then each failure's stdout. */
export function parseLibtest(text: string): ParsedTests {
  const results: ParsedTests = [];
  for (const match of text.matchAll(/^test (\S+) \.\.\. (ok|FAILED|ignored)(?:, .*)?$/gm)) {
    const status = match[2] === 'ok' ? 'passed' : match[2] === 'ignored' ? 'skipped' : 'failed';
    results.push({ name: match[1]!, status, durationMs: null, message: null });
  }
  for (const match of text.matchAll(
    /^---- (\S+) stdout ----\n([\s\S]*?)(?=\n---- |\n\nfailures:|\n\ntest result:)/gm,
  )) {
    const result = results.find((r) => r.name === match[1]);
    if (result) result.message = match[2]!.trim() || null;
  }
  return results;
}
