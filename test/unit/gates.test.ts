import fs from 'node:fs';
import path from 'node:path';
import { entropy, findSecrets } from '../../lib/scans/secrets';
import { deniedImports, moduleMatches } from '../../lib/scans/imports';
import { scanOutput } from '../../lib/scans/output-scan';
import { verdictFor } from '../../lib/scans/verdict';
import {
  parseBandit,
  parseEslint,
  parseFlawfinderSarif,
  parseShellcheck,
} from '../../activities/host/static-analysis/parsers';

const rules = (text: string) => findSecrets({ path: 'f', text }).map((m) => [m.finding.ruleId, m.finding.severity]);

describe('secret detection', () => {
  test.each([
    ['AWS access key id', 'key = "AKIAIOSFODNN7EXAMPLE"', 'aws-access-key-id'],
    ['GitHub token', 'TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'github-token'],
    ['GitLab token', 'glpat-abcdefghij0123456789', 'gitlab-token'],
    ['Slack token', 'xoxb-123456789012-abcdefghij', 'slack-token'],
    ['Stripe live key', 'stripe.api_key = "sk_live_abcdefghijklmnopqrstuvwx"', 'stripe-secret-key'],
    ['Google API key', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', 'google-api-key'],
    ['private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'private-key'],
    ['hard-coded password', 'db_password = "hunter2-xk29-QpL7"', 'hardcoded-credential'],
  ])('finds a planted %s', (_name, text, rule) => {
    expect(rules(text).map(([r]) => r)).toContain(rule);
  });

  test('a planted secret is located by line and column', () => {
    const [match] = findSecrets({ path: 'app.py', text: 'import os\n\nAWS = "AKIAIOSFODNN7EXAMPLE"\n' });
    expect(match!.finding.location).toEqual({ path: 'app.py', line: 3, column: 8 });
  });

  test('clean code and placeholders pass', () => {
    expect(rules('def add(a, b):\n    return a + b\n')).toEqual([]);
    expect(rules('password = "changeme"\napi_key = "${API_KEY}"\ntoken = "<your token>"')).toEqual([]);
    expect(rules('digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"')).toEqual([]);
  });

  test('entropy separates random from repetitive text', () => {
    expect(entropy('aaaaaaaa')).toBe(0);
    expect(entropy('Zq8+Lm2/Xv9Tb4Kw')).toBeGreaterThan(3.5);
  });
});

describe('import rules', () => {
  const check = (language: string, text: string, deny: string[]) =>
    deniedImports({ language, files: [{ path: 'x', text }], deny, severity: 'high' }).map((f) => [
      f.ruleId,
      f.location?.line,
    ]);

  test.each([
    [
      'python',
      'import os, subprocess as sp\nfrom socket import socket',
      ['subprocess', 'socket'],
      [
        ['imports/subprocess', 1],
        ['imports/socket', 2],
      ],
    ],
    ['python', 'mod = __import__("ctypes")', ['ctypes'], [['imports/ctypes', 1]]],
    [
      'javascript',
      "const cp = require('child_process');\nimport net from 'node:net';",
      ['child_process', 'net'],
      [
        ['imports/child_process', 1],
        ['imports/net', 2],
      ],
    ],
    ['typescript', "import { exec } from 'child_process';", ['child_process'], [['imports/child_process', 1]]],
    ['go', 'import (\n\t"fmt"\n\t"os/exec"\n)', ['os/exec'], [['imports/os/exec', 3]]],
    ['java', 'import java.net.Socket;\nimport java.util.List;', ['java.net'], [['imports/java.net', 1]]],
    ['ruby', "require 'socket'", ['socket'], [['imports/socket', 1]]],
    ['rust', 'use std::process::Command;', ['std::process'], [['imports/std::process', 1]]],
    ['c', '#include <sys/socket.h>\n#include <stdio.h>', ['sys/socket.h'], [['imports/sys/socket.h', 1]]],
    ['bash', 'echo hi\ncurl http://x | sh # fetch', ['curl'], [['imports/curl', 2]]],
  ])('%s: %j', (language, text, deny, expected) => {
    expect(check(language, text, deny)).toEqual(expected);
  });

  test('allowed imports and prefixes of other names pass', () => {
    expect(check('python', 'import subprocessing\nimport os', ['subprocess'])).toEqual([]);
    expect(moduleMatches('subprocess.run', 'subprocess')).toBe(true);
    expect(moduleMatches('node:child_process', 'child_process')).toBe(true);
  });
});

describe('output gate', () => {
  test('a private key is redacted whole, body and all, not just its header', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nQk9g==\n-----END RSA PRIVATE KEY-----';
    const out = scanOutput('run.stdout', `before\n${key}\nafter\n`, { secrets: 'redact', patterns: [] });
    expect(out.text).toBe('before\n[REDACTED:private-key]\nafter\n');
    expect(out.findings).toHaveLength(1);
  });

  test('redacts credentials and policy patterns in place, and blocks where a rule says so', () => {
    const out = scanOutput('run.stdout', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 and ACCT-1234\n', {
      secrets: 'redact',
      patterns: [{ name: 'account', regex: 'ACCT-\\d+', action: 'block' }],
    });
    expect(out.text).toBe('token [REDACTED:github-token] and [REDACTED:pattern/account]\n');
    expect(out.findings.map((f) => [f.ruleId, f.location?.path])).toEqual([
      ['github-token', 'run.stdout'],
      ['pattern/account', 'run.stdout'],
    ]);
    expect(out.blocked).toBe(true);
  });

  test('ordinary output is left alone, hashes included', () => {
    const text =
      'sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nid 550e8400-e29b-41d4-a716-446655440000\n';
    expect(scanOutput('run.stdout', text, { secrets: 'block', patterns: [] })).toEqual({
      text,
      findings: [],
      blocked: false,
    });
  });
});

describe('verdicts', () => {
  const finding = (severity: 'low' | 'medium' | 'high' | 'critical') => ({
    gate: 'secrets' as const,
    ruleId: 'r',
    severity,
    message: '',
    location: null,
    tool: 't',
  });
  test('block at or above blockAt, warn at or above warnAt, never disables', () => {
    expect(verdictFor([finding('high')], { blockAt: 'high', warnAt: 'low' })).toBe('block');
    expect(verdictFor([finding('medium')], { blockAt: 'high', warnAt: 'low' })).toBe('warn');
    expect(verdictFor([finding('low')], { blockAt: 'high', warnAt: 'medium' })).toBe('pass');
    expect(verdictFor([finding('critical')], { blockAt: 'never', warnAt: 'never' })).toBe('pass');
    expect(verdictFor([], { blockAt: 'low', warnAt: 'low' })).toBe('pass');
  });
});

describe('analyzer output, as the scanner image prints it', () => {
  const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'scanners', name), 'utf8');

  test('bandit', () => {
    const findings = parseBandit(fixture('python.out'));
    expect(findings.map((f) => [f.ruleId, f.severity, f.location?.path, f.location?.line])).toEqual(
      expect.arrayContaining([
        ['B602', 'high', 'a.py', 2],
        ['B307', 'medium', 'a.py', 3],
      ]),
    );
  });

  test("bandit's assert_used (B101) is dropped in test files only", () => {
    const result = (filename: string) => ({
      filename,
      line_number: 3,
      issue_severity: 'LOW',
      issue_text: 'Use of assert detected.',
      test_id: 'B101',
      test_name: 'assert_used',
    });
    const report = JSON.stringify({
      results: [
        './tests/test_calc.py',
        './test_a.py',
        './pkg/calc_test.py',
        './conftest.py',
        './pkg/calc.py',
        './contest.py',
      ].map(result),
    });
    expect(parseBandit(report).map((f) => f.location?.path)).toEqual(['pkg/calc.py', 'contest.py']);
  });

  test('eslint with security rules, for JavaScript and TypeScript', () => {
    const findings = parseEslint(fixture('javascript.out'));
    expect(findings.map((f) => [f.ruleId, f.severity, f.location?.path])).toEqual(
      expect.arrayContaining([
        ['security/detect-child-process', 'high', '/src/a.js'],
        ['no-eval', 'high', '/src/b.ts'],
      ]),
    );
  });

  test('shellcheck', () => {
    const findings = parseShellcheck(fixture('bash.out'));
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual(
      expect.arrayContaining([
        ['SC2115', 'medium'],
        ['SC2086', 'low'],
      ]),
    );
    // No output at all means shellcheck did not run: no pass.
    expect(() => parseShellcheck('')).toThrow();
  });

  test('flawfinder (SARIF)', () => {
    const findings = parseFlawfinderSarif(fixture('c.out'));
    expect(findings.map((f) => [f.ruleId, f.severity, f.location?.line])).toEqual([
      ['FF1013', 'low', 2],
      ['FF1001', 'high', 2],
    ]);
  });
});
