import fs from 'node:fs';
import { auditReport, type AuditReport } from '../lib/audit/timeline';
import { replayAgainstCurrentCode } from '../lib/audit/replay';
import { ApiClient, resolveApiKey } from './api-client';
import { UsageError } from './run-command';

export interface AuditOptions {
  url: string;
  key?: string;
  json?: string;
  history?: string;
}

/** `airlock audit ID`: fetch the history, replay it against this checkout's workflow code, print the timeline. */
export async function auditCommand(id: string, opts: AuditOptions): Promise<number> {
  const client = new ApiClient(opts.url, resolveApiKey(opts.key));
  const text = await client.text(`/v1/executions/${encodeURIComponent(id)}/history`);
  if (opts.history) fs.writeFileSync(opts.history, text);
  return auditHistory(JSON.parse(text) as unknown, opts);
}

/** `airlock audit verify FILE`: the same checks on an exported history, offline. */
export async function auditVerifyCommand(file: string, opts: Pick<AuditOptions, 'json'>): Promise<number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read history "${file}": ${(err as Error).message}`);
  }
  return auditHistory(parsed, opts);
}

async function auditHistory(history: unknown, opts: Pick<AuditOptions, 'json'>): Promise<number> {
  const report = auditReport(history);
  let replay: { deterministic: boolean; error: string | null };
  try {
    await replayAgainstCurrentCode(history, report.executionId);
    replay = { deterministic: true, error: null };
  } catch (err) {
    replay = { deterministic: false, error: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(render(report, replay));
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ ...report, replay }, null, 2)}\n`);
  return replay.deterministic ? 0 : 1;
}

function render(report: AuditReport, replay: { deterministic: boolean; error: string | null }): string {
  const lines = [
    `execution  ${report.executionId}`,
    `submitter  tenant ${report.submitter.tenant}, key ${report.submitter.keyId}`,
    `code       sha256 ${report.code.sha256} (${report.code.files.length} file(s))`,
    `policy     ${report.policy ? `${report.policy.name} sha256 ${report.policy.sha256}` : '(none recorded)'}`,
    `image      ${report.image ? `${report.image.id} definition sha256 ${report.image.definitionSha256}` : '(not provisioned)'}`,
    ...report.gates.map(
      (g) => `gate       ${g.gate}: ${g.verdict} (${g.findings.length} finding(s))${g.error ? `, ${g.error}` : ''}`,
    ),
    ...report.approvals.map((a) => `approval   ${a.decision} by ${a.reviewer}${a.comment ? `: ${a.comment}` : ''}`),
    `result     ${report.result ? `${report.result.status}${report.result.error ? ` — ${report.result.error}` : ''}` : '(still running)'}`,
    `teardown   ${report.teardown.confirmed ? 'confirmed' : 'NOT confirmed'}: ${report.teardown.detail}`,
    `replay     ${replay.deterministic ? 'deterministic: the current workflow code makes the same decisions' : `FAILED: ${replay.error}`}`,
    '',
    'timeline',
    ...report.timeline.map((t) => `  ${t.at}  ${t.what.padEnd(22)} ${t.detail}`),
  ];
  return `${lines.join('\n')}\n`;
}
