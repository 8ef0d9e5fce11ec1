/**
 * The gates' scans on inputs an attacker would pick: each is answered correctly (the matching is
 * RE2's, linear in the text, so these finish at all; bench/gate-scans.ts measures how fast), and
 * positions come from one line index rather than a re-split per match.
 */
import { findSecrets } from '../../lib/scans/secrets';
import { scanOutput } from '../../lib/scans/output-scan';
import { deniedImports } from '../../lib/scans/imports';
import { LineIndex } from '../../lib/scans/line-index';
import { Gates } from '../../lib/schemas/policy';

const secrets = (text: string) => findSecrets({ path: 'f', text });

test('a keyword repeated for a megabyte, with no assignment, is no finding', () => {
  expect(secrets('token'.repeat(200_000))).toEqual([]);
  expect(secrets('password_token_secret\n'.repeat(50_000))).toEqual([]);
});

test('forty thousand assignments are forty thousand findings, each at its own line', () => {
  const found = secrets('password = "Zq8#mP2$wL9x"\n'.repeat(40_000));
  expect(found).toHaveLength(40_000);
  expect(found.at(-1)?.finding.location).toEqual({ path: 'f', line: 40_000, column: 13 });
});

test('key headers without ends are each one short finding; a header with its end covers the block', () => {
  const headers = secrets('-----BEGIN PRIVATE KEY-----\n'.repeat(30_000));
  expect(headers).toHaveLength(30_000);
  expect(headers.every((m) => m.end - m.start === '-----BEGIN PRIVATE KEY-----'.length)).toBe(true);
  const block = '-----BEGIN RSA PRIVATE KEY-----\nMIIB\nxyz\n-----END RSA PRIVATE KEY-----';
  const [whole] = secrets(`a\n${block}\nb`);
  expect(whole).toMatchObject({ start: 2, end: 2 + block.length, finding: { ruleId: 'private-key' } });
  // An END too far away is not this block's.
  const far = secrets(`-----BEGIN PRIVATE KEY-----\n${'x'.repeat(20_000)}\n-----END PRIVATE KEY-----`);
  expect(far[0]!.end).toBe('-----BEGIN PRIVATE KEY-----'.length);
});

test('a high-entropy string inside a named secret is not reported twice', () => {
  const found = secrets('const api_key = "k8Jd92LmQp0zX7vB3nR5tY1wE4uI6oPa";');
  expect(found.map((m) => m.finding.ruleId)).toEqual(['hardcoded-credential']);
});

test('the output gate redacts every one of many matches; policy patterns are RE2 and linear too', () => {
  const rules = {
    secrets: 'redact' as const,
    patterns: [{ name: 'acct', regex: 'ACCT-[0-9]{6}', action: 'redact' as const }],
  };
  const scanned = scanOutput('run.stdout', 'ACCT-123456 AKIAABCDEFGHIJKLMNOP\n'.repeat(10_000), rules);
  expect(scanned.findings).toHaveLength(20_000);
  expect(scanned.text).not.toMatch(/ACCT-\d|AKIA/);
  expect(scanOutput('x', '('.repeat(500_000), rules).findings).toEqual([]);
});

test('imports: a megabyte of unclosed require( finds nothing, and a real one is still found', () => {
  const check = (text: string) =>
    deniedImports({
      language: 'javascript',
      files: [{ path: 'a.js', text }],
      deny: ['child_process'],
      severity: 'high',
    });
  expect(check('require("'.repeat(100_000))).toEqual([]);
  expect(check(`${'require("'.repeat(1_000)}\nconst cp = require('child_process');`)).toHaveLength(1);
  const goBlocks = 'import (\n"os/exec"\n)\n'.repeat(5_000);
  const found = deniedImports({
    language: 'go',
    files: [{ path: 'm.go', text: goBlocks }],
    deny: ['os/exec'],
    severity: 'high',
  });
  expect(found).toHaveLength(5_000);
  expect(found.at(-1)?.location?.line).toBe(5_000 * 3 - 1);
});

test('a policy pattern RE2 cannot run (a backreference, a lookahead) is refused when the policy loads', () => {
  const policy = (regex: string) => Gates.safeParse({ output: { patterns: [{ name: 'x', regex, action: 'block' }] } });
  expect(policy('ACCT-[0-9]{6}').success).toBe(true);
  for (const bad of ['(a)\\1', 'x(?=y)']) {
    const parsed = policy(bad);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('must be a valid RE2 regular expression');
  }
});

test('line index: lines and columns as a re-split would give them', () => {
  const text = 'ab\ncd\n\nefg';
  const index = new LineIndex(text);
  for (let i = 0; i < text.length; i++) {
    const before = text.slice(0, i);
    expect(index.position(i)).toEqual({ line: before.split('\n').length, column: i - before.lastIndexOf('\n') });
  }
});
