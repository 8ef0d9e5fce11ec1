import type { ParsedTests } from './types';

const RESULT = /^(\S+#\S+) = ([\d.]+) s = ([.FES])$/;
const DETAIL = /^\s*\d+\) (?:Failure|Error|Skipped):$/;
const DETAIL_NAME = /^(\S+#\S+)(?: \[[^\]]*\])?:$/;
const STATUS = { '.': 'passed', F: 'failed', E: 'error', S: 'skipped' } as const;

/** Minitest with `-v`: `Class#test_name = 0.00 s = .|F|E|S`, then numbered details. One pass over the lines. */
export function parseMinitest(text: string): ParsedTests {
  const results: ParsedTests = [];
  const lines = text.split('\n');
  for (const line of lines) {
    const m = RESULT.exec(line);
    if (m)
      results.push({
        name: m[1]!,
        status: STATUS[m[3] as keyof typeof STATUS],
        durationMs: Math.round(Number(m[2]) * 1000),
        message: null,
      });
  }
  for (let i = 0; i < lines.length; i++) {
    if (!DETAIL.test(lines[i]!)) continue;
    const name = DETAIL_NAME.exec(lines[i + 1] ?? '')?.[1];
    const body: string[] = [];
    let j = i + 2;
    for (; j < lines.length && !DETAIL.test(lines[j]!) && !/^\d+ runs, /.test(lines[j]!); j++) body.push(lines[j]!);
    const result = results.find((r) => r.name === name);
    if (result) result.message = body.join('\n').trim() || null;
    i = j - 1;
  }
  return results;
}
