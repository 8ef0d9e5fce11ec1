import { ApplicationFailure } from '@temporalio/activity';
import type { ExecutionInput } from '../../lib/schemas/execution-request';
import type { ExecutionPlan } from '../../lib/schemas/policy';
import type { ExecutionResult, OutputRef, ScanManifest, Seal } from '../../lib/schemas/execution-result';
import { sealFields, signSeal } from '../../lib/node/audit/seal';
import { AuditKeyStore } from '../../lib/node/audit/signing-keys';
import type { HistoryEvent } from '../../lib/node/audit/history-events';
import type { SourceFile } from '../../lib/schemas/common';
import type { LoadedPolicy } from '../../lib/node/policies';
import type { RuntimeCatalog } from '../../lib/node/runtimes';
import { planUnderPolicy } from '../../lib/node/execution-plan';
import { ErrorType } from '../../lib/errors';
import { createGateActivities } from './gate-activities';
import { createLeaseActivities, type HolderState } from './leases';
import { sharedScanner, type Scanner } from '../scanner';
import { digest, fileDigests } from '../../lib/node/digest';

export interface OrchestrationActivityDeps {
  policies: Map<string, LoadedPolicy>;
  runtimes: RuntimeCatalog;
  /** Where the gates' scans run; default the process's pool of scan threads. */
  scanner?: Scanner;
  /** An execution's history so far, for its seal. */
  fetchHistory?: (executionId: string) => Promise<HistoryEvent[]>;
  /** The deployment's audit signing keys; default those in AIRLOCK_AUDIT_KEYS_DIR. */
  auditKeys?: AuditKeyStore;
  /** Whether a lease holder's workflow still runs, for the tenant quota sweep. */
  holderState?: (id: string) => Promise<HolderState>;
}

export interface ScanInput {
  files: SourceFile[];
  /** With a ref, the text is a preview: the digest is the stored whole's. */
  outputs: Array<{ name: string; text: string; ref?: OutputRef | null }>;
}

/** Activities that need no Docker engine; they run beside the workflows. */
export function createOrchestrationActivities({
  policies,
  runtimes,
  scanner,
  fetchHistory,
  auditKeys = new AuditKeyStore(),
  holderState,
}: OrchestrationActivityDeps) {
  async function evaluatePolicyGate({ input }: { input: ExecutionInput }): Promise<ExecutionPlan> {
    const loaded = policies.get(input.policy);
    if (!loaded) {
      throw ApplicationFailure.nonRetryable(`policy "${input.policy}" is not loaded`, ErrorType.UnknownPolicy);
    }
    return planUnderPolicy({ input, loaded, runtime: runtimes.get(input.language, input.version)?.manifest });
  }

  /** Records what went in and what came out, so a result can later be matched to its bytes. */
  async function scanArtifacts({ files, outputs }: ScanInput): Promise<Pick<ScanManifest, 'files' | 'outputs'>> {
    return {
      files: fileDigests(files),
      outputs: outputs.map((o) => (o.ref ? { name: o.name, ...o.ref } : digest(o.name, Buffer.from(o.text, 'utf8')))),
    };
  }

  /**
   * Seals the execution's record: each part's digest, computed from its history as the verifier
   * computes it (lib/node/audit/seal.ts), and the result it is about to end with, signed with the active key.
   */
  async function sealExecution({
    executionId,
    result,
  }: {
    executionId: string;
    result: ExecutionResult;
  }): Promise<Seal> {
    if (!fetchHistory) throw ApplicationFailure.nonRetryable('this worker cannot read histories', ErrorType.Internal);
    const events = await fetchHistory(executionId);
    return signSeal(
      { executionId, fields: sealFields(events, result), sealedAt: new Date().toISOString() },
      auditKeys.active(),
    );
  }

  return {
    evaluatePolicyGate,
    scanArtifacts,
    sealExecution,
    ...createGateActivities({ scanner: scanner ?? sharedScanner() }),
    ...createLeaseActivities({ holderState }),
  };
}

export type OrchestrationActivities = ReturnType<typeof createOrchestrationActivities>;
