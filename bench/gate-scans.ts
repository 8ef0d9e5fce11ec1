/**
 * Throughput of the gates' text scans (secrets, imports, the output gate), in MB/s, on ordinary code
 * and on adversarial families an attacker would send to stall them, at the same size. Every family
 * must keep at least half of ordinary code's throughput: the scans are linear in their input.
 *
 *   node dist/bench/gate-scans.js [--mb 1] [--runs 5]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findSecrets } from '../lib/scans/secrets';
import { deniedImports } from '../lib/scans/imports';
import { scanOutput } from '../lib/scans/output-scan';
import { PROJECT_ROOT } from '../lib/node/paths';

/** The project's own TypeScript, concatenated: code with quotes, keys, tokens and imports in it. */
function ordinaryCode(bytes: number): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) files.push(fs.readFileSync(full, 'utf8'));
    }
  };
  for (const dir of ['lib', 'api', 'activities', 'workflows']) walk(path.join(PROJECT_ROOT, dir));
  let text = files.join('\n');
  while (text.length < bytes) text += text;
  return text.slice(0, bytes);
}

const repeat = (unit: string, bytes: number) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);

/** Inputs an attacker picks to make a scan slow, each `bytes` long. */
const FAMILIES: Record<string, (bytes: number) => string> = {
  'ordinary code': ordinaryCode,
  // One secret-sounding word repeated with no assignment: what made the old pattern quadratic.
  'repeated keyword': (n) => repeat('token', n),
  'repeated keyword, lines': (n) => repeat('password_token_secret_api_key\n', n),
  'many matches': (n) => repeat('password = "hunter2hunter2"\n', n),
  'many quoted blobs': (n) => repeat(`"${'aB3/'.repeat(16)}" `, n),
  'very long line': (n) => repeat('x', n),
  'deep nesting': (n) => repeat('(', n / 2) + repeat(')', n / 2),
  'key headers without ends': (n) => repeat('-----BEGIN PRIVATE KEY-----\n', n),
  'unclosed requires': (n) => repeat('require("', n),
  'dense quotes': (n) => repeat(`'a"`, n),
};

const RULES = {
  secrets: 'redact' as const,
  patterns: [{ name: 'account', regex: 'ACCT-[0-9]{6}', action: 'redact' as const }],
};

const SCANS: Record<string, (text: string) => unknown> = {
  secrets: (text) => findSecrets({ path: 'input', text }),
  imports: (text) =>
    deniedImports({
      language: 'javascript',
      files: [{ path: 'input', text }],
      deny: ['child_process'],
      severity: 'high',
    }),
  output: (text) => scanOutput('run.stdout', text, RULES),
};

function mbPerSecond(scan: (text: string) => unknown, text: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    scan(text);
    times.push(performance.now() - started);
  }
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  return text.length / 1e6 / (median / 1000);
}

function main(): void {
  const { values } = parseArgs({
    options: { mb: { type: 'string', default: '1' }, runs: { type: 'string', default: '5' } },
  });
  const bytes = Math.round(Number(values.mb) * 1e6);
  const runs = Number(values.runs);
  const inputs = Object.entries(FAMILIES).map(([name, make]) => [name, make(bytes)] as const);
  const rows: string[][] = [];
  let worst = Infinity;
  for (const [scanName, scan] of Object.entries(SCANS)) {
    const ordinary = mbPerSecond(scan, inputs[0]![1], runs);
    for (const [family, text] of inputs) {
      const rate = family === 'ordinary code' ? ordinary : mbPerSecond(scan, text, runs);
      const ratio = rate / ordinary;
      if (family !== 'ordinary code') worst = Math.min(worst, ratio);
      rows.push([scanName, family, rate.toFixed(2), ratio.toFixed(2)]);
    }
  }
  const widths = [8, 26, 8, 6];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(['scan', 'input', 'MB/s', 'ratio'])}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  process.stdout.write(
    `\n${(bytes / 1e6).toFixed(1)} MB per input, median of ${runs}; worst adversarial ratio ${worst.toFixed(2)} (target >= 0.5)\n`,
  );
  if (worst < 0.5) process.exitCode = 1;
}

main();
