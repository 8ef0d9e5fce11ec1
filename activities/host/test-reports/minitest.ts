import type { ParsedTests } from './types';

/** Minitest with `-v`: `Class#test_name = 0.00 s = .|F|E|S`, then numbered failure details. */
export function parseMinitest(text: string): ParsedTests {
  const results: ParsedTests = [];
  for (const match of text.matchAll(/^(\S+#\S+) = ([\d.]+) s = ([.FES])$/gm)) {
    const status = { '.': 'passed', F: 'failed', E: 'error', S: 'skipped' }[
      match[3] as '.' | 'F' | 'E' | 'S'
    ] as ParsedTests[number]['status'];
    results.push({ name: match[1]!, status, durationMs: Math.round(Number(match[2]) * 1000), message: null });
  }
  for (const match of text.matchAll(
    /^\s*\d+\) (?:Failure|Error|Skipped):\n(\S+#\S+)(?: \[[^\]]*\])?:\n([\s\S]*?)(?=\n\s*\d+\) |\n\n\d+ runs|\s*(?![\s\S]))/gm,
  )) {
    const result = results.find((r) => r.name === match[1]);
    if (result) result.message = match[2]!.trim() || null;
  }
  return results;
}
