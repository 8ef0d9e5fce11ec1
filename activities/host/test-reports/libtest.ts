import type { ParsedTests } from './types';

const RESULT = /^test (\S+) \.\.\. (ok|FAILED|ignored)(?:, .*)?$/;
const STDOUT_HEADER = /^---- (\S+) stdout ----$/;

/**
 * rustc's built-in harness, plain format: `test path::name ... ok|FAILED|ignored`, then each
 * failure's output under `---- name stdout ----`. One pass over the lines: the text is untrusted.
 */
export function parseLibtest(text: string): ParsedTests {
  const results: ParsedTests = [];
  let current: { name: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (!current) return;
    const result = results.find((r) => r.name === current!.name);
    if (result) result.message = current.lines.join('\n').trim() || null;
    current = undefined;
  };
  for (const line of text.split('\n')) {
    const result = RESULT.exec(line);
    if (result) {
      const status = result[2] === 'ok' ? 'passed' : result[2] === 'ignored' ? 'skipped' : 'failed';
      results.push({ name: result[1]!, status, durationMs: null, message: null });
      continue;
    }
    const header = STDOUT_HEADER.exec(line);
    if (header) {
      flush();
      current = { name: header[1]!, lines: [] };
    } else if (current && (line === 'failures:' || line.startsWith('test result:'))) {
      flush();
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  return results;
}
