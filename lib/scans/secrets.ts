import { RE2JS } from 're2js';
import type { Finding, Severity } from '../schemas/findings';
import { LineIndex } from './line-index';

interface SecretRule {
  id: string;
  severity: Severity;
  description: string;
  /** RE2 syntax, matched by a linear-time engine. */
  pattern: RE2JS;
  /** Lower-case literals, one of which every match contains: a text holding none skips the rule. */
  keywords: string[];
}

const rule = (r: Omit<SecretRule, 'pattern'> & { pattern: string }): SecretRule => ({
  ...r,
  pattern: RE2JS.compile(r.pattern),
});

/**
 * Credential formats with a recognisable shape. Every pattern runs on RE2 (re2js), whose matching
 * time is linear in the text whatever the pattern and the text: no input can make a gate backtrack.
 */
const RULES: SecretRule[] = [
  rule({
    id: 'aws-access-key-id',
    severity: 'critical',
    description: 'AWS access key id',
    pattern: String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
    keywords: ['akia', 'asia'],
  }),
  rule({
    id: 'aws-secret-access-key',
    severity: 'critical',
    description: 'AWS secret access key',
    pattern: String.raw`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b`,
    keywords: ['aws'],
  }),
  rule({
    id: 'github-token',
    severity: 'critical',
    description: 'GitHub token',
    pattern: String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`,
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  }),
  rule({
    id: 'gitlab-token',
    severity: 'critical',
    description: 'GitLab personal access token',
    pattern: String.raw`\bglpat-[A-Za-z0-9_-]{20,}\b`,
    keywords: ['glpat-'],
  }),
  rule({
    id: 'slack-token',
    severity: 'high',
    description: 'Slack token',
    pattern: String.raw`\bxox[baprs]-[A-Za-z0-9-]{10,}\b`,
    keywords: ['xox'],
  }),
  rule({
    id: 'stripe-secret-key',
    severity: 'critical',
    description: 'Stripe live secret key',
    pattern: String.raw`\b[rs]k_live_[A-Za-z0-9]{20,}\b`,
    keywords: ['k_live_'],
  }),
  rule({
    id: 'google-api-key',
    severity: 'high',
    description: 'Google API key',
    pattern: String.raw`\bAIza[0-9A-Za-z_-]{35}\b`,
    keywords: ['aiza'],
  }),
  rule({
    id: 'jwt',
    severity: 'medium',
    description: 'JSON Web Token',
    pattern: String.raw`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`,
    keywords: ['eyj'],
  }),
];

const KEY_TYPES = '(?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?';
const KEY_BEGIN = RE2JS.compile(`-----BEGIN ${KEY_TYPES}-----`);
const KEY_END = RE2JS.compile(`-----END ${KEY_TYPES}-----`);
/** How far past its BEGIN line a key block's END may be and still count as one block. */
const KEY_BLOCK_CHARS = 16_384;

/** `password = "…"`, `API_KEY: '…'` and the like: a secret-sounding name given a literal. */
const ASSIGNMENT = RE2JS.compile(
  String.raw`(?i)\b([A-Za-z0-9_]*(?:passw(?:or)?d|secret|api_?key|apikey|access_?key|auth_?token|token|credential)[A-Za-z0-9_]*)["']?\s*[:=]\s*["']([^"'\s]{8,200})["']`,
);
const ASSIGNMENT_KEYWORDS = ['passw', 'secret', 'key', 'token', 'credential'];
/** A long quoted run of base64 or hex characters. */
const QUOTED_BLOB = RE2JS.compile(String.raw`["']([A-Za-z0-9+/=_-]{32,512})["']`);
/** Applied to one captured value (at most 200 characters), never to the whole text. */
const PLACEHOLDER =
  /^(?:x+|\*+|changeme|change_me|example\w*|dummy\w*|test\w*|placeholder|your[_-]?\w*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\})$/i;

/** Every match of `pattern` in `text`: start, end and the capture groups. */
function* matches(
  pattern: RE2JS,
  text: string,
): Generator<{ start: number; end: number; group: (n: number) => string; startOf: (n: number) => number }> {
  const m = pattern.matcher(text);
  while (m.find()) {
    yield { start: m.start(), end: m.end(), group: (n) => m.group(n) ?? '', startOf: (n) => m.start(n) };
  }
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export interface TextSource {
  /** A file path, or `run.stdout` and the like. */
  path: string;
  text: string;
}

export interface SecretMatch {
  finding: Finding;
  /** Where in the text the secret itself is, for redaction. */
  start: number;
  end: number;
}

/** Every credential-looking string in `source`, with its position: linear in the text's length. */
export function findSecrets(source: TextSource, gate: Finding['gate'] = 'secrets'): SecretMatch[] {
  const { text } = source;
  const lower = text.toLowerCase();
  const present = (keywords: string[]) => keywords.some((k) => lower.includes(k));
  const lines = new LineIndex(text);
  const found: SecretMatch[] = [];
  const seen = new Set<string>();
  const add = (ruleId: string, severity: Severity, message: string, start: number, end: number): void => {
    const key = `${start}:${end}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push({
      finding: {
        gate,
        ruleId,
        severity,
        message,
        location: { path: source.path, ...lines.position(start) },
        tool: 'airlock-secrets',
      },
      start,
      end,
    });
  };
  for (const r of RULES) {
    if (!present(r.keywords)) continue;
    for (const m of matches(r.pattern, text)) add(r.id, r.severity, `${r.description} found`, m.start, m.end);
  }
  if (lower.includes('private key')) {
    for (const block of privateKeyBlocks(text))
      add('private-key', 'critical', 'private key found', block.start, block.end);
  }
  if (present(ASSIGNMENT_KEYWORDS)) {
    for (const m of matches(ASSIGNMENT, text)) {
      const value = m.group(2);
      if (PLACEHOLDER.test(value)) continue;
      const start = m.startOf(2);
      const strong = value.length >= 12 && entropy(value) >= 3.5;
      const message = `"${m.group(1)}" is given a literal value that looks like a credential`;
      add('hardcoded-credential', strong ? 'high' : 'medium', message, start, start + value.length);
    }
  }
  const named = new Spans(found);
  for (const m of matches(QUOTED_BLOB, text)) {
    const value = m.group(1);
    if (entropy(value) < 4.5) continue;
    const start = m.start + 1;
    if (named.covers(start, start + value.length)) continue;
    add('high-entropy-string', 'low', 'a long high-entropy string, possibly a secret', start, start + value.length);
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Each private-key BEGIN line, through its END line when that comes within KEY_BLOCK_CHARS (the
 * body is the secret, so redaction must cover it). The ENDs are found once and paired by binary
 * search: many BEGINs without an END cost no more than one.
 */
function privateKeyBlocks(text: string): Array<{ start: number; end: number }> {
  const ends = [...matches(KEY_END, text)].map((m) => [m.start, m.end] as const);
  const blocks: Array<{ start: number; end: number }> = [];
  for (const begin of matches(KEY_BEGIN, text)) {
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]![0] < begin.end) lo = mid + 1;
      else hi = mid;
    }
    const end = ends[lo];
    const through = end && end[0] - begin.end <= KEY_BLOCK_CHARS ? end[1] : begin.end;
    blocks.push({ start: begin.start, end: through });
  }
  return blocks;
}

/** Spans sorted by start, with the furthest end reached so far: "is [a, b) inside one?" in O(log n). */
class Spans {
  private readonly starts: number[];
  private readonly reach: number[];

  constructor(spans: Array<{ start: number; end: number }>) {
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    this.starts = sorted.map((x) => x.start);
    let furthest = -1;
    this.reach = sorted.map((x) => (furthest = Math.max(furthest, x.end)));
  }

  covers(start: number, end: number): boolean {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && this.reach[lo - 1]! >= end;
  }
}
