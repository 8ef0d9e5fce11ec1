/** The API's answers that are not a record of their own: errors, pages, acknowledgements. */
import { z } from 'zod';
import { ExecutionResult, Approval } from './execution-result';
import { FileEntry, SandboxListItem } from './sandbox';
import { TemplateInfo } from './template';
import { RuntimeSummary } from './runtime';
import { PublicAuditKey } from './audit';

/** Every 4xx and 5xx: a stable code, a reason, and the field at fault where there is one. */
export const ApiError = z
  .object({
    error: z.looseObject({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'ApiError' });

const NextPageToken = z.string().nullable().meta({ description: 'null on the last page' });

export const ExecutionListItem = z.object({
  id: z.string(),
  status: z.string(),
  language: z.string().nullable(),
  policy: z.string().nullable(),
  gate: z.string().nullable(),
  createdAt: z.string().nullable(),
  closed: z.boolean(),
});
export const ExecutionList = z.object({ executions: z.array(ExecutionListItem), nextPageToken: NextPageToken });
export type ExecutionList = z.infer<typeof ExecutionList>;

/** `202` for an execution that has not finished within the wait. */
export const ExecutionAccepted = z.object({ id: z.string(), status: z.string() });
export const BatchAccepted = z.object({ ids: z.array(z.string()) });
export const BatchResults = z.object({ results: z.array(ExecutionResult) });
export const ApprovalAnswer = z.object({ id: z.string(), approval: Approval });

export const SandboxList = z.object({ sandboxes: z.array(SandboxListItem), nextPageToken: NextPageToken });
export const StepAccepted = z.object({ stepId: z.string(), sandboxId: z.string() });
export const StepCancelled = z.object({ stepId: z.string(), sandboxId: z.string(), cancelled: z.literal(true) });
export const SandboxFileWritten = z.object({ path: z.string(), bytes: z.number().int(), sha256: z.string() });
export const SandboxFileList = z.object({ path: z.string(), entries: z.array(FileEntry) });
export const SandboxPathAnswer = z.object({ path: z.string() });

export const TemplateList = z.object({ templates: z.array(TemplateInfo), nextPageToken: NextPageToken });
export const RuntimeList = z.object({ runtimes: z.array(RuntimeSummary) });
export const AuditKeyList = z.object({ keys: z.array(PublicAuditKey) });

export const KeyListItem = z.object({
  id: z.string(),
  label: z.string(),
  scopes: z.array(z.string()),
  policies: z.unknown(),
  createdAt: z.string(),
  revokedAt: z.string().nullable().optional(),
});
export const KeyList = z.object({ keys: z.array(KeyListItem) });

export const HealthReport = z.object({
  ok: z.boolean(),
  checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean() })).optional(),
});
