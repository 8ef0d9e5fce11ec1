import path from 'node:path';
import type { Finding, Severity } from '../../../lib/schemas/findings';

/** Paths as the request named them: analyzers print `./a.py` or `/workspace/a.py`. */
function relative(file: string): string {
  return path.posix.normalize(file.replace(/^\/workspace\//, '').replace(/^\.\//, ''));
}

function finding(
  tool: string,
  ruleId: string,
  severity: Severity,
  message: string,
  file: string,
  line?: number,
  column?: number,
): Finding {
  return {
    gate: 'static-analysis',
    ruleId,
    severity,
    message,
    location: { path: relative(file), line: line ?? null, column: column ?? null },
    tool,
  };
}

interface BanditReport {
  results: Array<{
    filename: string;
    line_number: number;
    col_offset?: number;
    issue_severity: string;
    issue_text: string;
    test_id: string;
    test_name: string;
  }>;
}

/** pytest's own discovery patterns, and the folders tests live in. */
const PYTHON_TEST_FILE = /(^|\/)(tests?\/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)/;

export function parseBandit(text: string): Finding[] {
  const report = JSON.parse(text) as BanditReport;
  // `assert` is how pytest tests check things; B101 only matters in code that ships.
  const results = report.results.filter((r) => !(r.test_id === 'B101' && PYTHON_TEST_FILE.test(relative(r.filename))));
  return results.map((r) =>
    finding(
      'bandit',
      r.test_id,
      (r.issue_severity.toLowerCase() as Severity) ?? 'low',
      `${r.test_name}: ${r.issue_text}`,
      r.filename,
      r.line_number,
      r.col_offset,
    ),
  );
}

interface ShellcheckReport {
  comments: Array<{ file: string; line: number; column: number; level: string; code: number; message: string }>;
}

const SHELLCHECK_SEVERITY: Record<string, Severity> = { error: 'high', warning: 'medium', info: 'low', style: 'low' };

export function parseShellcheck(text: string): Finding[] {
  // No shell files: shellcheck is not run and prints nothing.
  if (text.trim() === '') return [];
  const report = JSON.parse(text) as ShellcheckReport;
  return report.comments.map((c) =>
    finding('shellcheck', `SC${c.code}`, SHELLCHECK_SEVERITY[c.level] ?? 'low', c.message, c.file, c.line, c.column),
  );
}

type EslintReport = Array<{
  filePath: string;
  messages: Array<{
    ruleId: string | null;
    severity: number;
    message: string;
    line?: number;
    column?: number;
    fatal?: boolean;
  }>;
}>;

export function parseEslint(text: string): Finding[] {
  const report = JSON.parse(text) as EslintReport;
  return report.flatMap((file) =>
    file.messages.map((m) =>
      m.fatal
        ? finding('eslint', 'parse-error', 'low', m.message, file.filePath, m.line, m.column)
        : finding(
            'eslint',
            m.ruleId ?? 'eslint',
            m.severity >= 2 ? 'high' : 'medium',
            m.message,
            file.filePath,
            m.line,
            m.column,
          ),
    ),
  );
}

interface SarifLog {
  runs: Array<{
    results?: Array<{
      ruleId?: string;
      level?: string;
      message: { text?: string };
      locations?: Array<{
        physicalLocation?: {
          artifactLocation?: { uri?: string };
          region?: { startLine?: number; startColumn?: number };
        };
      }>;
    }>;
  }>;
}

const SARIF_SEVERITY: Record<string, Severity> = { error: 'high', warning: 'medium', note: 'low', none: 'low' };

/** Flawfinder's SARIF (levels: 4–5 error, 2–3 warning, 0–1 note). */
export function parseFlawfinderSarif(text: string): Finding[] {
  const log = JSON.parse(text) as SarifLog;
  return log.runs.flatMap((run) =>
    (run.results ?? []).map((r) => {
      const where = r.locations?.[0]?.physicalLocation;
      return finding(
        'flawfinder',
        r.ruleId ?? 'flawfinder',
        SARIF_SEVERITY[r.level ?? 'warning'] ?? 'medium',
        r.message.text ?? '',
        where?.artifactLocation?.uri ?? '',
        where?.region?.startLine,
        where?.region?.startColumn,
      );
    }),
  );
}

export const ANALYZERS: Record<string, { tool: string; parse: (text: string) => Finding[] }> = {
  python: { tool: 'bandit', parse: parseBandit },
  bash: { tool: 'shellcheck', parse: parseShellcheck },
  javascript: { tool: 'eslint', parse: parseEslint },
  typescript: { tool: 'eslint', parse: parseEslint },
  c: { tool: 'flawfinder', parse: parseFlawfinderSarif },
  cpp: { tool: 'flawfinder', parse: parseFlawfinderSarif },
};
