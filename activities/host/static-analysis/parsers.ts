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
  errors?: Array<{ filename: string; reason: string }>;
  /** Per file analyzed (by the name it was given), plus `_totals`. */
  metrics?: Record<string, unknown>;
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
  // The scanner runs shellcheck only with files to check, and json1 always prints an object: no
  // output at all means it did not run, which is no pass.
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
    file.messages
      .filter((m) => !m.fatal && !isIgnoredNotice(m))
      .map((m) =>
        finding(
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

/** ESLint's note that it skipped a file it was given (an ignore pattern, or no config for it). */
const isIgnoredNotice = (m: { ruleId: string | null; fatal?: boolean; message: string }) =>
  m.ruleId === null && !m.fatal && /^File ignored\b/.test(m.message);

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

/**
 * What kept the analyzer from analyzing each file it was given: a file it could not parse, skipped,
 * or left out of its report. Any of these fails the gate closed, since the analyzer vouches for
 * nothing it did not read.
 */
export function banditProblems(text: string, files: string[]): string[] {
  const report = JSON.parse(text) as BanditReport;
  const problems = (report.errors ?? []).map((e) => `bandit could not analyze ${relative(e.filename)}: ${e.reason}`);
  const analyzed = new Set(Object.keys(report.metrics ?? {}).map(relative));
  for (const file of files) if (!analyzed.has(file)) problems.push(`bandit did not analyze ${file}`);
  return problems;
}

export function eslintProblems(text: string, files: string[]): string[] {
  const report = JSON.parse(text) as EslintReport;
  const problems: string[] = [];
  for (const file of report) {
    for (const m of file.messages) {
      const where = `${relative(file.filePath)}${m.line ? `:${m.line}` : ''}`;
      if (m.fatal) problems.push(`eslint could not parse ${where}: ${m.message}`);
      else if (isIgnoredNotice(m)) problems.push(`eslint did not analyze ${where}: ${m.message}`);
    }
  }
  const analyzed = new Set(report.map((f) => relative(f.filePath)));
  for (const file of files) if (!analyzed.has(file)) problems.push(`eslint did not analyze ${file}`);
  return problems;
}

export interface Analyzer {
  tool: string;
  parse: (text: string) => Finding[];
  /** Why some of `files` went unanalyzed; an analyzer without a per-file report relies on its exit code. */
  problems: (text: string, files: string[]) => string[];
}

const none = (): string[] => [];

export const ANALYZERS: Record<string, Analyzer> = {
  python: { tool: 'bandit', parse: parseBandit, problems: banditProblems },
  bash: { tool: 'shellcheck', parse: parseShellcheck, problems: none },
  javascript: { tool: 'eslint', parse: parseEslint, problems: eslintProblems },
  typescript: { tool: 'eslint', parse: parseEslint, problems: eslintProblems },
  c: { tool: 'flawfinder', parse: parseFlawfinderSarif, problems: none },
  cpp: { tool: 'flawfinder', parse: parseFlawfinderSarif, problems: none },
};

/** Exit codes that mean the analyzer ran to the end (1: it found something); any other fails closed. */
export const ANALYZER_RAN = new Set([0, 1]);
