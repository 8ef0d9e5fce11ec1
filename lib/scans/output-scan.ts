import type { Finding } from '../schemas/findings';
import type { OutputRules } from '../schemas/policy';
import { RE2JS } from 're2js';
import { findSecrets } from './secrets';
import { LineIndex } from './line-index';

const compiled = new Map<string, RE2JS>();

/**
 * A policy's output pattern, compiled once, on RE2: the output it runs over is the program's, and
 * RE2's time is linear in it whatever the pattern. A pattern RE2 cannot compile is refused when the
 * policy loads (lib/schemas/policy.ts).
 */
export function policyPattern(regex: string): RE2JS {
  let pattern = compiled.get(regex);
  if (!pattern) {
    pattern = RE2JS.compile(regex);
    compiled.set(regex, pattern);
  }
  return pattern;
}

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
  const lines = new LineIndex(text);
  for (const rule of rules.patterns) {
    const m = policyPattern(rule.regex).matcher(text);
    while (m.find()) {
      if (m.end() === m.start()) continue;
      findings.push({
        gate: 'output',
        ruleId: `pattern/${rule.name}`,
        severity: rule.action === 'block' ? 'high' : 'medium',
        message: `output matches the policy's "${rule.name}" pattern`,
        location: { path, ...lines.position(m.start()) },
        tool: 'airlock-output',
      });
      spans.push({ start: m.start(), end: m.end(), ruleId: `pattern/${rule.name}` });
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
