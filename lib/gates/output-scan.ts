import type { Finding } from '../schemas/findings';
import type { OutputRules } from '../schemas/policy';
import { findSecrets } from './secrets';

export interface ScannedOutput {
  /** The text with every redact-or-block match replaced by `[REDACTED:<rule>]`. */
  text: string;
  findings: Finding[];
  /** A match whose rule says block: the execution must not pass. */
  blocked: boolean;
}

interface Span {
  start: number;
  end: number;
  ruleId: string;
}

/**
 * The post-run output gate over one text (stdout, stderr, a file the program wrote). Matches are
 * redacted here, in the host activity, so the raw text never reaches workflow history.
 */
export function scanOutput(path: string, text: string, rules: OutputRules): ScannedOutput {
  const findings: Finding[] = [];
  const spans: Span[] = [];
  let blocked = false;
  if (rules.secrets !== 'off') {
    // Unlabelled high-entropy strings are everyday output (hashes, ids): only named formats count here.
    for (const match of findSecrets({ path, text }, 'output').filter((m) => m.finding.severity !== 'low')) {
      findings.push({ ...match.finding, message: `${match.finding.message} in ${path}` });
      spans.push({ start: match.start, end: match.end, ruleId: match.finding.ruleId });
      if (rules.secrets === 'block') blocked = true;
    }
  }
  for (const rule of rules.patterns) {
    for (const m of text.matchAll(new RegExp(rule.regex, 'g'))) {
      if (m[0].length === 0) continue;
      const before = text.slice(0, m.index);
      findings.push({
        gate: 'output',
        ruleId: `pattern/${rule.name}`,
        severity: rule.action === 'block' ? 'high' : 'medium',
        message: `output matches the policy's "${rule.name}" pattern`,
        location: { path, line: before.split('\n').length, column: m.index - before.lastIndexOf('\n') },
        tool: 'airlock-output',
      });
      spans.push({ start: m.index, end: m.index + m[0].length, ruleId: `pattern/${rule.name}` });
      if (rule.action === 'block') blocked = true;
    }
  }
  return { text: redact(text, spans), findings, blocked };
}

function redact(text: string, spans: Span[]): string {
  let out = '';
  let cursor = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < cursor) continue; // overlaps one already redacted
    out += `${text.slice(cursor, span.start)}[REDACTED:${span.ruleId}]`;
    cursor = span.end;
  }
  return out + text.slice(cursor);
}
