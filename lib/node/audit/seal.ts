/**
 * The seal of an execution: a digest of each part of its record, computed from its history, signed
 * with the deployment's ed25519 key. The sealing activity computes the parts from the history as it
 * stands before the end; `airlock audit verify` computes them again from an exported history and
 * names the first part that differs, so an edit anywhere the seal covers shows.
 *
 * The parts: the submitted code, stdin, the env names (never their values), the rest of the
 * request, the plan, each pre-run gate's decision, the approvals, the teardown and the result.
 */
import crypto from 'node:crypto';
import type { ExecutionResult, Seal } from '../../schemas/execution-result';
import { codeDigest } from './timeline';
import {
  approvalDecisions,
  completedResult,
  executionInput,
  recordedActivities,
  type HistoryEvent,
} from './history-events';

export const SEAL_VERSION = 1 as const;
const GATE_ACTIVITIES = new Set(['checkSecrets', 'checkImports', 'runStaticAnalysis']);

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

const digest = (value: unknown) =>
  crypto
    .createHash('sha256')
    .update(canonicalJson(value ?? null))
    .digest('hex');

/** The result as sealed: everything but the seal itself. */
export function unsealed(result: ExecutionResult): Omit<ExecutionResult, 'seal'> {
  const { seal: _seal, ...rest } = result;
  return rest;
}

/**
 * The digest of each sealed part, from the history's events and the result. In a fixed order, the
 * order the verifier checks them in: the first that differs is the one it names.
 */
export function sealFields(events: HistoryEvent[], result: ExecutionResult): Array<[string, string]> {
  const input = executionInput(events);
  const { files: _files, stdin, env, tests, ...request } = input;
  const fields: Array<[string, string]> = [
    ['input.code', digest(codeDigest([...input.files, ...(tests?.files ?? [])]))],
    ['input.stdin', digest(stdin ?? null)],
    ['input.env', digest(Object.keys(env).sort())],
    ['input.request', digest({ ...request, tests: tests ? { ...tests, files: undefined } : null })],
  ];
  const activities = recordedActivities(events);
  const plan = activities.find((a) => a.type === 'evaluatePolicyGate');
  fields.push(['plan', digest(plan?.result ?? plan?.failure ?? null)]);
  const gates = activities
    .filter((a) => GATE_ACTIVITIES.has(a.type))
    .map((a) => a.result as { gate: string; verdict: string; findings: unknown; error: unknown } | undefined)
    .filter((g) => g !== undefined)
    .sort((a, b) => (a.gate < b.gate ? -1 : 1));
  for (const gate of gates)
    fields.push([`gates.${gate.gate}`, digest({ verdict: gate.verdict, findings: gate.findings, error: gate.error })]);
  fields.push(['approvals', digest(approvalDecisions(events).map((d) => d.decision))]);
  fields.push([
    'teardown',
    digest(activities.filter((a) => a.type === 'teardownContainer').map((a) => a.result ?? a.failure)),
  ]);
  fields.push(['result', digest(unsealed(result))]);
  return fields;
}

/** What the signature covers. */
function signedBytes(seal: Pick<Seal, 'version' | 'executionId' | 'fields' | 'keyId' | 'sealedAt'>): Buffer {
  return Buffer.from(
    canonicalJson({
      version: seal.version,
      executionId: seal.executionId,
      fields: seal.fields,
      keyId: seal.keyId,
      sealedAt: seal.sealedAt,
    }),
  );
}

export function signSeal(
  { executionId, fields, sealedAt }: { executionId: string; fields: Array<[string, string]>; sealedAt: string },
  key: { id: string; privateKey: crypto.KeyObject },
): Seal {
  const body = { version: SEAL_VERSION, executionId, fields, keyId: key.id, sealedAt };
  const bytes = signedBytes(body);
  return {
    ...body,
    algorithm: 'ed25519',
    digest: crypto.createHash('sha256').update(bytes).digest('hex'),
    signature: crypto.sign(null, bytes, key.privateKey).toString('base64'),
  };
}

export type SealCheck =
  | { status: 'valid'; keyId: string; sealedAt: string; fields: number }
  | { status: 'unsealed'; reason: string }
  | { status: 'invalid'; problem: string };

/** Checks a history's seal: its signature, then every part recomputed from the history. */
export function verifySeal(events: HistoryEvent[], publicKeys: Map<string, crypto.KeyObject>): SealCheck {
  const completed = completedResult(events);
  if (!completed) return { status: 'unsealed', reason: 'the execution has not completed' };
  const seal = completed.result.seal;
  if (!seal) return { status: 'unsealed', reason: 'recorded before executions were sealed' };
  const sealing = recordedActivities(events).find((a) => a.type === 'sealExecution');
  if (!sealing || canonicalJson(sealing.result) !== canonicalJson(seal)) {
    return { status: 'invalid', problem: 'the seal in the result is not the one the sealing step recorded' };
  }
  const key = publicKeys.get(seal.keyId);
  if (!key)
    return { status: 'invalid', problem: `signed by key ${seal.keyId}, which is not among the deployment's keys` };
  const bytes = signedBytes(seal);
  if (
    crypto.createHash('sha256').update(bytes).digest('hex') !== seal.digest ||
    !crypto.verify(null, bytes, key, Buffer.from(seal.signature, 'base64'))
  ) {
    return {
      status: 'invalid',
      problem: `the signature (key ${seal.keyId}) does not verify: the seal itself was changed`,
    };
  }
  const sealed = new Map(seal.fields);
  const recomputed = sealFields(events, completed.result);
  for (const [field, value] of recomputed) {
    if (!sealed.has(field)) return { status: 'invalid', problem: `${field} is in the history but was not sealed` };
    if (sealed.get(field) !== value) return { status: 'invalid', problem: `${field} differs from what was sealed` };
    sealed.delete(field);
  }
  const missing = [...sealed.keys()][0];
  if (missing) return { status: 'invalid', problem: `${missing} was sealed but is missing from the history` };
  return { status: 'valid', keyId: seal.keyId, sealedAt: seal.sealedAt, fields: recomputed.length };
}
