import type { ExecutionInput, ParsedExecutionRequest } from '../schemas/execution-request';
import type { RuntimeManifest } from '../schemas/runtime';
import type { TemplateRef } from '../schemas/template';
import { DEFAULT_POLICY } from './policies';
import { newExecutionId } from './execution-ids';

export interface NormalizeContext {
  /** A fresh id when absent. */
  executionId?: string;
  tenant: string;
  /** The API key that submitted it, for the audit trail. */
  keyId: string;
  runtime: RuntimeManifest;
  template?: TemplateRef | undefined;
  now?: Date;
}

/** Turns an API request into the workflow's input: `code` becomes the runtime's source file, defaults are applied. */
export function normalizeRequest(req: ParsedExecutionRequest, ctx: NormalizeContext): ExecutionInput {
  const files = req.files ?? [{ path: ctx.runtime.sourceFile, content: req.code ?? '', encoding: 'utf8' as const }];
  return {
    executionId: ctx.executionId ?? newExecutionId(),
    tenant: ctx.tenant,
    keyId: ctx.keyId,
    language: req.language,
    version: ctx.runtime.version,
    ...(ctx.template ? { template: ctx.template } : {}),
    policy: req.policy ?? DEFAULT_POLICY,
    files,
    entrypoint: req.files ? (req.entrypoint ?? null) : ctx.runtime.sourceFile,
    ...(req.stdin !== undefined ? { stdin: req.stdin } : {}),
    args: req.args ?? [],
    ...(req.expectedStdout !== undefined ? { expectedStdout: req.expectedStdout } : {}),
    normalizeTrailingWhitespace: req.normalizeTrailingWhitespace,
    ...(req.cases ? { cases: req.cases } : {}),
    env: req.env ?? {},
    limits: req.limits ?? {},
    ...(req.tests ? { tests: req.tests } : {}),
    submittedAt: (ctx.now ?? new Date()).toISOString(),
  };
}
