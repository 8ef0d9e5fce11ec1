import type { Finding, Severity } from '../schemas/findings';

interface SecretRule {
  id: string;
  severity: Severity;
  pattern: RegExp;
  description: string;
}

/** Credential formats with a recognisable shape. Every pattern is linear-time (no nested quantifiers). */
const RULES: SecretRule[] = [
  {
    id: 'aws-access-key-id',
    severity: 'critical',
    description: 'AWS access key id',
    pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  },
  {
    id: 'aws-secret-access-key',
    severity: 'critical',
    description: 'AWS secret access key',
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b/gi,
  },
  {
    id: 'github-token',
    severity: 'critical',
    description: 'GitHub token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  {
    id: 'gitlab-token',
    severity: 'critical',
    description: 'GitLab personal access token',
    pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/g,
  },
  { id: 'slack-token', severity: 'high', description: 'Slack token', pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,}\b/g },
  {
    id: 'stripe-secret-key',
    severity: 'critical',
    description: 'Stripe live secret key',
    pattern: /\b[rs]k_live_[A-Za-z0-9]{20,}\b/g,
  },
  { id: 'google-api-key', severity: 'high', description: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    id: 'private-key',
    severity: 'critical',
    description: 'private key',
    // The whole block where it ends in view: the body is the secret, so redaction must cover it.
    pattern:
      /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)?/g,
  },
  {
    id: 'jwt',
    severity: 'medium',
    description: 'JSON Web Token',
    pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  },
];

/** `password = "…"`, `API_KEY: '…'` and the like: a secret-sounding name given a literal. */
const ASSIGNMENT =
  /\b([A-Za-z0-9_]*(?:passw(?:or)?d|secret|api_?key|apikey|access_?key|auth_?token|token|credential)[A-Za-z0-9_]*)["']?\s*[:=]\s*["']([^"'\s]{8,200})["']/gi;
/** A long quoted run of base64 or hex characters. */
const QUOTED_BLOB = /["']([A-Za-z0-9+/=_-]{32,512})["']/g;
const PLACEHOLDER =
  /^(?:x+|\*+|changeme|change_me|example\w*|dummy\w*|test\w*|placeholder|your[_-]?\w*|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\})$/i;

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

/** Every credential-looking string in `source`, with its position. */
export function findSecrets(source: TextSource, gate: Finding['gate'] = 'secrets'): SecretMatch[] {
  const matches: SecretMatch[] = [];
  const seen = new Set<string>();
  const add = (ruleId: string, severity: Severity, message: string, start: number, end: number): void => {
    const key = `${start}:${end}`;
    if (seen.has(key)) return;
    seen.add(key);
    const { line, column } = position(source.text, start);
    matches.push({
      finding: {
        gate,
        ruleId,
        severity,
        message,
        location: { path: source.path, line, column },
        tool: 'airlock-secrets',
      },
      start,
      end,
    });
  };
  for (const rule of RULES) {
    for (const m of source.text.matchAll(rule.pattern))
      add(rule.id, rule.severity, `${rule.description} found`, m.index, m.index + m[0].length);
  }
  for (const m of source.text.matchAll(ASSIGNMENT)) {
    const value = m[2]!;
    if (PLACEHOLDER.test(value)) continue;
    const start = m.index + m[0].lastIndexOf(value);
    const strong = value.length >= 12 && entropy(value) >= 3.5;
    add(
      'hardcoded-credential',
      strong ? 'high' : 'medium',
      `"${m[1]}" is given a literal value that looks like a credential`,
      start,
      start + value.length,
    );
  }
  for (const m of source.text.matchAll(QUOTED_BLOB)) {
    const value = m[1]!;
    if (entropy(value) < 4.5) continue;
    const start = m.index + 1;
    if (matches.some((x) => x.start <= start && x.end >= start + value.length)) continue;
    add('high-entropy-string', 'low', 'a long high-entropy string, possibly a secret', start, start + value.length);
  }
  return matches.sort((a, b) => a.start - b.start);
}

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}
