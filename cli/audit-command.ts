import crypto from 'node:crypto';
import fs from 'node:fs';
import { verifySeal, type SealCheck } from '../lib/node/audit/seal';
import { historyEvents } from '../lib/node/audit/history-events';
import { AuditKeyStore } from '../lib/node/audit/signing-keys';
import type { PublicAuditKey } from '../lib/schemas/audit';
import { auditReport, type AuditReport } from '../lib/node/audit/timeline';
import { replayAgainstCurrentCode } from '../workers/replay';
import { decodeHistory } from '../lib/node/payload-codec';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { resolveApiKey } from '../lib/node/api-key-file';
import type { Airlock } from '../sdk/src';
import { apiClient } from './client';
import { UsageError } from './run-command';

export interface AuditOptions {
  url: string;
  key?: string;
  json?: string;
  history?: string;
  /** A keys file (as `airlock audit keys --json` prints it) to check seals with, instead of the API's. */
  keys?: string;
}

/** `airlock audit ID`: fetch the history, check its seal, replay it against this checkout's workflow code, print the timeline. */
export async function auditCommand(id: string, opts: AuditOptions): Promise<number> {
  const client = apiClient(opts);
  const text = await client.executions.handle(id).report('history');
  if (opts.history) fs.writeFileSync(opts.history, text);
  const keys = opts.keys ? keysFromFile(opts.keys) : await keysFromApi(client);
  return auditHistory(JSON.parse(text) as unknown, keys, opts);
}

/**
 * `airlock audit verify FILE`: the same checks on an exported history, offline. The seal is checked
 * with the keys of --keys, else the API's (AIRLOCK_URL), else this machine's key directory.
 */
export async function auditVerifyCommand(
  file: string,
  opts: Pick<AuditOptions, 'json' | 'keys' | 'url' | 'key'>,
): Promise<number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read history "${file}": ${(err as Error).message}`);
  }
  return auditHistory(parsed, await verificationKeys(opts), opts);
}

/** `airlock audit keys`: the deployment's public keys, from the API (or, with --local, this machine's key directory). */
export async function auditKeysCommand(opts: {
  url: string;
  key?: string;
  local?: boolean;
  json?: string;
}): Promise<void> {
  const keys = opts.local ? new AuditKeyStore().publicKeys() : await apiClient(opts).audit.keys();
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ keys }, null, 2)}\n`);
  for (const k of keys) {
    process.stdout.write(
      `${k.id}  ${k.algorithm}  created ${k.createdAt}  ${k.retiredAt ? `retired ${k.retiredAt}` : 'active'}\n`,
    );
  }
}

/** `airlock audit keys rotate`: a new signing key seals from now on; the old ones still verify. Run where the orchestration worker runs. */
export function auditKeysRotateCommand(): void {
  const key = new AuditKeyStore().rotate();
  process.stdout.write(
    `${key.id}  active from ${key.createdAt}; older keys are kept, retired, so their seals still verify\n`,
  );
}

function keysFromFile(file: string): Map<string, crypto.KeyObject> {
  try {
    const { keys } = JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: PublicAuditKey[] };
    return new Map(keys.map((k) => [k.id, crypto.createPublicKey(k.publicKey)]));
  } catch (err) {
    throw new UsageError(`cannot read keys "${file}": ${(err as Error).message}`);
  }
}

async function keysFromApi(client: Airlock): Promise<Map<string, crypto.KeyObject>> {
  const keys = await client.audit.keys();
  return new Map(keys.map((k) => [k.id, crypto.createPublicKey(k.publicKey)]));
}

async function verificationKeys(
  opts: Pick<AuditOptions, 'keys' | 'url' | 'key'>,
): Promise<Map<string, crypto.KeyObject>> {
  if (opts.keys) return keysFromFile(opts.keys);
  if (opts.url && resolveApiKey(opts.key)) {
    try {
      // One attempt: offline is an expected case here, and the local keys answer it at once.
      return await keysFromApi(apiClient({ url: opts.url, key: opts.key }, { maxRetries: 0 }));
    } catch {
      // Offline: this machine's own keys, as the embedded default keeps them.
    }
  }
  return new AuditKeyStore().verifiers();
}

/**
 * An exported history read in the clear. The API's export already is; one taken straight from
 * Temporal (`temporal workflow show -o json`) is decrypted with the deployment's payload keys.
 */
async function inTheClear(history: unknown): Promise<unknown> {
  const proto = historyFromJSON(history);
  try {
    await decodeHistory(proto);
  } catch (err) {
    throw new UsageError(
      `the history is encrypted and cannot be read here: ${(err as Error).message}; ` +
        "audit it through the API (airlock audit ID), or where AIRLOCK_PAYLOAD_KEYS_FILE names the deployment's payload keys",
    );
  }
  return JSON.parse(historyToJSON(proto)) as unknown;
}

async function auditHistory(
  raw: unknown,
  keys: Map<string, crypto.KeyObject>,
  opts: Pick<AuditOptions, 'json'>,
): Promise<number> {
  const history = await inTheClear(raw);
  const report = auditReport(history);
  const seal = verifySeal(historyEvents(history), keys);
  let replay: { deterministic: boolean; error: string | null };
  try {
    await replayAgainstCurrentCode(history, report.executionId);
    replay = { deterministic: true, error: null };
  } catch (err) {
    replay = { deterministic: false, error: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(render(report, replay, seal));
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ ...report, seal, replay }, null, 2)}\n`);
  return replay.deterministic && seal.status === 'valid' ? 0 : 1;
}

function sealLine(seal: SealCheck): string {
  switch (seal.status) {
    case 'valid':
      return `valid: signed by key ${seal.keyId} at ${seal.sealedAt}; all ${seal.fields} sealed parts match the history`;
    case 'unsealed':
      return `NONE: ${seal.reason}`;
    case 'invalid':
      return `FAILED: ${seal.problem}`;
  }
}

function render(
  report: AuditReport,
  replay: { deterministic: boolean; error: string | null },
  seal: SealCheck,
): string {
  const lines = [
    `execution  ${report.executionId}`,
    `submitter  tenant ${report.submitter.tenant}, key ${report.submitter.keyId}`,
    `code       sha256 ${report.code.sha256} (${report.code.files.length} file(s))`,
    `policy     ${report.policy ? `${report.policy.name} sha256 ${report.policy.sha256}` : '(none recorded)'}`,
    `image      ${report.image ? `${report.image.id} definition sha256 ${report.image.definitionSha256}` : '(not provisioned)'}`,
    ...(report.template
      ? [`template   ${report.template.id} spec sha256 ${report.template.sha256}${templateMismatch(report)}`]
      : []),
    ...report.gates.map(
      (g) => `gate       ${g.gate}: ${g.verdict} (${g.findings.length} finding(s))${g.error ? `, ${g.error}` : ''}`,
    ),
    ...report.approvals.map((a) => `approval   ${a.decision} by ${a.reviewer}${a.comment ? `: ${a.comment}` : ''}`),
    `result     ${report.result ? `${report.result.status}${report.result.error ? ` — ${report.result.error}` : ''}` : '(still running)'}`,
    `teardown   ${report.teardown.confirmed ? 'confirmed' : 'NOT confirmed'}: ${report.teardown.detail}`,
    `seal       ${sealLine(seal)}`,
    `replay     ${replay.deterministic ? 'deterministic: the current workflow code makes the same decisions' : `FAILED: ${replay.error}`}`,
    '',
    'timeline',
    ...report.timeline.map((t) => `  ${t.at}  ${t.what.padEnd(22)} ${t.detail}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The image the host ran must carry the template the API resolved: an auditor is told when it does not. */
function templateMismatch(report: AuditReport): string {
  const ran = report.image?.template;
  if (!report.image || ran?.sha256 === report.template?.sha256) return '';
  return ran
    ? ` (MISMATCH: the image ran carries ${ran.id} sha256 ${ran.sha256})`
    : ' (MISMATCH: the image ran is no template)';
}
