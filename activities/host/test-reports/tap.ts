import type { ParsedTests } from './types';

const RESULT = /^(\s*)(ok|not ok)\s+\d+\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b(.*))?$/i;

/**
 * TAP 13/14 as node:test (Node 18) and airlock_test.h print it. Subtests are indented; only the
 * innermost results count, so a suite line whose tests were already reported is skipped.
 */
export function parseTap(text: string): ParsedTests {
  const lines = text.split('\n');
  const results: Array<ParsedTests[number] & { indent: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const match = RESULT.exec(lines[i]!);
    if (!match) continue;
    const indent = match[1]!.length;
    const directive = match[4]?.toUpperCase();
    const yaml = readYamlBlock(lines, i + 1, indent);
    const status =
      directive === 'SKIP' || directive === 'TODO' ? 'skipped' : match[2]!.toLowerCase() === 'ok' ? 'passed' : 'failed';
    results.push({
      indent,
      name: match[3]!.trim() || '(unnamed)',
      status,
      durationMs: yaml.duration_ms !== undefined ? milliseconds(yaml.duration_ms) : null,
      message: status === 'failed' ? (yaml.error ?? yaml.message ?? null) : null,
    });
  }
  // A result is a suite when the results just before it are nested deeper.
  return results
    .filter((r, i) => !(i > 0 && results[i - 1]!.indent > r.indent))
    .map(({ indent: _indent, ...rest }) => rest);
}

/** The `---` … `...` diagnostics after a result: flat keys only (duration_ms, error, message). */
function readYamlBlock(lines: string[], start: number, indent: number): Record<string, string> {
  const out: Record<string, string> = {};
  if (!lines[start]?.trim().startsWith('---')) return out;
  // Bounded, and never past the next result: the text is untrusted and may leave blocks open.
  for (let i = start + 1; i < lines.length && i < start + 500; i++) {
    const line = lines[i]!;
    if (line.trim() === '...' || RESULT.test(line)) break;
    const kv = /^\s*([a-z_]+):\s*(.*)$/i.exec(line);
    if (kv && line.search(/\S/) <= indent + 4) {
      const value = kv[2]!.replace(/^['"]|['"]$/g, '');
      out[kv[1]!] = value === '|-' || value === '|' ? blockScalar(lines, i + 1) : value;
    }
  }
  return out;
}

function blockScalar(lines: string[], start: number): string {
  const body: string[] = [];
  const indent = lines[start]?.search(/\S/) ?? 0;
  for (
    let i = start;
    i < lines.length && i < start + 500 && (lines[i]!.search(/\S/) >= indent || lines[i]!.trim() === '');
    i++
  ) {
    body.push(lines[i]!.slice(indent));
  }
  return body.join('\n').trim();
}

function milliseconds(value: string): number | null {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
