/** E2B sandbox calls as Airlock sandbox steps: each is a workflow update, in the sandbox's history. */
import crypto from 'node:crypto';
import type { Request } from 'express';
import type { StepResult } from '../../lib/schemas/sandbox';
import type { StepRequest } from '../../lib/sandbox-input';
import { ErrorType } from '../../lib/errors';
import { principalOf } from '../auth';
import type { SandboxService } from '../sandbox-service';
import { ConnectError, type ConnectCode } from './connect';

/** The SDKs name the sandbox of every envd call in this header. */
export const SANDBOX_ID_HEADER = 'e2b-sandbox-id';

export interface SandboxCall {
  sandboxes: SandboxService;
  sandboxId: string;
  tenant: string;
}

export function sandboxCall(req: Request, sandboxes: SandboxService): SandboxCall {
  const sandboxId = req.get(SANDBOX_ID_HEADER);
  if (!sandboxId) throw new ConnectError('invalid_argument', `missing the ${SANDBOX_ID_HEADER} header`);
  return { sandboxes, sandboxId, tenant: principalOf(req).tenant };
}

/** A step id of the E2B surface's own. */
export function newStepId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`;
}

/** What a failed file step means to an E2B client. */
const FILE_CODES: Record<string, ConnectCode> = {
  [ErrorType.FileNotFound]: 'not_found',
  [ErrorType.NotAFile]: 'invalid_argument',
  [ErrorType.NotADirectory]: 'invalid_argument',
  [ErrorType.IsADirectory]: 'invalid_argument',
  [ErrorType.DirectoryNotEmpty]: 'failed_precondition',
  [ErrorType.AlreadyExists]: 'already_exists',
  [ErrorType.FileTooLarge]: 'resource_exhausted',
  [ErrorType.WorkspaceFull]: 'resource_exhausted',
  [ErrorType.SymlinkLoop]: 'invalid_argument',
  [ErrorType.ReadOnlyPath]: 'permission_denied',
  [ErrorType.PermissionDenied]: 'permission_denied',
};

/** Runs a file step to its end; a failure is a Connect error the SDK maps (not found, exists, ...). */
export async function fileStep(call: SandboxCall, request: StepRequest): Promise<StepResult> {
  const { sandboxes, sandboxId, tenant } = call;
  const result = await sandboxes.step(sandboxId, tenant, { stepId: newStepId('e2bf'), request }, true);
  if (result === 'accepted') throw new Error('a waited step answered only its acceptance');
  if (result.status === 'succeeded') return result;
  const error = result.error ?? {
    type: ErrorType.Internal,
    message: `the ${request.kind} step ended ${result.status}`,
  };
  // A blocked write (a secret in a file, say) is the gate's refusal, not a server fault.
  if (result.status === 'rejected') throw new ConnectError('permission_denied', `blocked: ${error.message}`);
  throw new ConnectError(FILE_CODES[error.type] ?? 'internal', error.message);
}
