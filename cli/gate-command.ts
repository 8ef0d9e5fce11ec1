import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionRequest } from '../lib/schemas/execution-request';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import type { Finding } from '../lib/schemas/findings';
import type { Airlock } from '../sdk/src';
import { apiClient } from './client';
import { UsageError, describeError } from './run-command';
import { collectFiles } from './gate-files';

export const GATE_PASSED = 0;
export const GATE_FAILED = 1;
export const GATE_ERROR = 2;

export interface GateOptions {
  url: string;
  key?: string;
  lang?: string;
  runtimeVersion?: string;
  policy: string;
  test?: string;
  /** Tests from a directory apart from the change (a base branch's checkout), which the change cannot edit. */
  testsFrom?: string;
  entrypoint?: string;
  sarif: string;
  junit: string;
}

/**
 * `airlock gate PATH...`: runs a change through Airlock under a policy and decides for CI.
 * Exit 0 when it passes, 1 when a gate, the tests or the run fail, 2 when the gate itself could not run.
 */
export async function gateCommand(paths: string[], opts: GateOptions): Promise<number> {
  try {
    const client = apiClient(opts);
    // Its own reports from an earlier run are not part of the change.
    const outputs = new Set([path.resolve(opts.sarif), path.resolve(opts.junit)]);
    const change = collectFiles(paths.length > 0 ? paths : ['.']).filter((f) => !outputs.has(f.source));
    // Trusted tests are named from their own directory; the change's file of the same name gives way.
    const trusted = opts.testsFrom ? collectFiles([opts.testsFrom], path.resolve(opts.testsFrom)) : [];
    const trustedNames = new Set(trusted.map((f) => f.path));
    const files = change.filter((f) => !trustedNames.has(f.path));
    const language =
      opts.lang ??
      (await inferLanguage(
        client,
        [...files, ...trusted].map((f) => f.path),
      ));
    const encoded = (list: typeof files) =>
      list.map((f) => ({ path: f.path, content: f.content.toString('base64'), encoding: 'base64' as const }));
    const request: ExecutionRequest = {
      language,
      ...(opts.runtimeVersion !== undefined ? { version: opts.runtimeVersion } : {}),
      policy: opts.policy,
      files: encoded(files),
      ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}),
      tests: {
        ...(opts.test ? { command: opts.test } : {}),
        ...(trusted.length > 0 ? { files: encoded(trusted) } : {}),
      },
    };
    const result = await client.executions.run(request);
    const execution = client.executions.handle(result.id);
    const [sarif, junit] = await Promise.all([execution.report('sarif'), execution.report('junit')]);
    fs.writeFileSync(opts.sarif, sarif);
    fs.writeFileSync(opts.junit, junit);
    process.stdout.write(summary(result, opts));
    if (opts.testsFrom) {
      const replaced = change.length - files.length;
      process.stdout.write(
        `  tests from ${opts.testsFrom}: ${trusted.length} file(s)${replaced ? `; the change's own copies of ${replaced} were set aside` : ''}\n`,
      );
    }
    if (process.env.GITHUB_ACTIONS === 'true') githubOutput(result);
    if (result.status === 'succeeded') return GATE_PASSED;
    return result.status === 'internal_error' || result.status === 'cancelled' ? GATE_ERROR : GATE_FAILED;
  } catch (err) {
    process.stderr.write(`airlock gate: ${describeError(err)}\n`);
    return GATE_ERROR;
  }
}

async function inferLanguage(client: Airlock, files: string[]): Promise<string> {
  const runtimes = await client.runtimes();
  const votes = new Map<string, number>();
  for (const file of files) {
    const runtime = runtimes.find((r) => r.extensions.includes(path.extname(file).toLowerCase()));
    if (runtime) votes.set(runtime.name, (votes.get(runtime.name) ?? 0) + 1);
  }
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
  if (!best) throw new UsageError('cannot infer the language from the files; pass --lang');
  return best[0];
}

function summary(result: ExecutionResult, opts: GateOptions): string {
  const lines = [
    `airlock gate: ${result.status.toUpperCase()} (execution ${result.id}, policy ${result.policy?.name ?? opts.policy})`,
  ];
  for (const gate of result.gates) {
    lines.push(
      `  ${gate.gate.padEnd(16)} ${gate.verdict.padEnd(5)} ${gate.findings.length} finding(s)${gate.error ? ` — ${gate.error}` : ''}`,
    );
    for (const f of gate.findings.slice(0, 10))
      lines.push(`      ${f.severity.padEnd(8)} ${f.ruleId} ${where(f)} ${f.message}`);
  }
  if (result.testReport) {
    const t = result.testReport;
    lines.push(
      `  tests            ${t.passed}/${t.total} passed, ${t.failed} failed, ${t.errors} errors, ${t.skipped} skipped`,
    );
    for (const c of t.cases.filter((c) => c.status === 'failed' || c.status === 'error').slice(0, 10)) {
      lines.push(`      ${c.status.padEnd(8)} ${c.name}: ${(c.message ?? '').split('\n')[0]}`);
    }
  }
  if (result.error) lines.push(`  ${result.error.type}: ${result.error.message.split('\n')[0]}`);
  lines.push(`  SARIF: ${opts.sarif}   JUnit: ${opts.junit}`);
  return `${lines.join('\n')}\n`;
}

function where(f: Finding): string {
  return f.location ? `${f.location.path}${f.location.line ? `:${f.location.line}` : ''}` : '';
}

/** Workflow commands for GitHub Actions: an annotation per finding and failed test, and a step summary. */
function githubOutput(result: ExecutionResult): void {
  const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const annotations: string[] = [];
  for (const gate of result.gates) {
    for (const f of gate.findings) {
      const level = f.severity === 'low' ? 'notice' : f.severity === 'medium' ? 'warning' : 'error';
      const props = [
        f.location ? `file=${escapeProperty(f.location.path)}` : null,
        f.location?.line ? `line=${f.location.line}` : null,
        `title=${escapeProperty(`${gate.gate}: ${f.ruleId}`)}`,
      ].filter(Boolean);
      annotations.push(`::${level} ${props.join(',')}::${escapeData(f.message)}`);
    }
  }
  for (const c of result.testReport?.cases ?? []) {
    if (c.status === 'failed' || c.status === 'error') {
      annotations.push(`::error title=${escapeProperty(`test ${c.name}`)}::${escapeData(c.message ?? c.status)}`);
    }
  }
  process.stdout.write(
    annotations
      .slice(0, 50)
      .map((a) => `${a}\n`)
      .join(''),
  );
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    const rows = result.gates.map((g) => `| ${g.gate} | ${g.verdict} | ${g.findings.length} |`).join('\n');
    fs.appendFileSync(
      summaryFile,
      `### Airlock gate: ${result.status}\n\n| gate | verdict | findings |\n|---|---|---|\n${rows}\n`,
    );
  }
}
