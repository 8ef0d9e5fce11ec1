/**
 * Everything between a parsed sandbox request and a started sandbox workflow: the key's policy (one
 * that waits for a reviewer cannot run interactive steps), the runtime, the workflow's input, and the
 * tenant's in-flight quota: a live sandbox holds its container's memory and CPUs for its whole life.
 */
import { commandToArgv } from '../lib/schemas/common';
import {
  MAX_SANDBOX_FILE_BYTES,
  type ParsedSandboxCreateRequest,
  type SandboxExecRequest,
  type SandboxInfo,
} from '../lib/schemas/sandbox';
import type { SandboxInput, StepRequest } from '../lib/sandbox-input';
import type { RuntimeCatalog } from '../lib/node/runtimes';
import type { LoadedPolicy } from '../lib/node/policies';
import type { Principal } from '../lib/node/api-keys';
import { resolveLimits } from '../lib/node/execution-plan';
import { HttpError } from './errors';
import type { Idempotency } from './idempotency';
import { newSandboxId, type SandboxService } from './sandbox-service';
import { checkFits, type LeaseNeeds, type TenantLeases } from './tenant-leases';
import type { TemplateRef } from '../lib/schemas/template';
import type { TemplateService } from './template-service';
import { choosePolicy, resolveRuntimeAndPolicy } from './routes/parse';

export interface SandboxAdmissionDeps {
  sandboxes: SandboxService;
  leases: TenantLeases;
  runtimes: RuntimeCatalog;
  policies: Map<string, LoadedPolicy>;
  templates: TemplateService;
  /** Steps per workflow run before it continues as new. */
  stepsPerRun: number;
}

export interface SandboxCreate {
  body: ParsedSandboxCreateRequest;
  principal: Principal;
  idempotencyKey: string | undefined;
  idempotency: Idempotency | undefined;
}

export class SandboxAdmission {
  constructor(private readonly deps: SandboxAdmissionDeps) {}

  /** Starts the sandbox under a lease for it; the answer is its info, or 'conflict' for a reused key. */
  async create({ body, principal, idempotencyKey, idempotency }: SandboxCreate): Promise<SandboxInfo | 'conflict'> {
    const bound = await this.deps.templates.bind(body, principal.tenant);
    const { input, needs } = this.prepare(bound.body, principal, idempotencyKey, bound.template);
    const { leases, sandboxes } = this.deps;
    const leased = await leases.acquire(principal, needs);
    const release = () => leases.release(principal.tenant, input.sandboxId, leased);
    let created: Awaited<ReturnType<SandboxService['create']>>;
    try {
      created = await sandboxes.create(leased ? { ...input, lease: { queued: false } } : input, idempotency);
    } catch (err) {
      await release();
      throw err;
    }
    if (created === 'conflict' || !created.started) await release();
    return created === 'conflict' ? created : created.info;
  }

  private prepare(
    parsed: ParsedSandboxCreateRequest,
    principal: Principal,
    idempotencyKey: string | undefined,
    template: TemplateRef | undefined,
  ): { input: SandboxInput; needs: LeaseNeeds } {
    const body = { ...parsed, policy: choosePolicy(principal, parsed.policy) };
    const { runtime, policy, policyName } = resolveRuntimeAndPolicy(this.deps.runtimes, this.deps.policies, body);
    if (template && !policy.policy.templates.allowed) {
      throw new HttpError(400, 'policy_violation', `template: templates are not allowed by policy "${policyName}"`, [
        { field: 'template', message: `templates are not allowed by policy "${policyName}"` },
      ]);
    }
    if (policy.policy.approval.required !== 'never') {
      throw new HttpError(
        400,
        'policy_violation',
        `policy: "${policyName}" requires a reviewer's approval, which interactive steps cannot wait for`,
        [{ field: 'policy', message: 'requires approval; sandboxes run steps without a reviewer' }],
      );
    }
    const input: SandboxInput = {
      sandboxId: newSandboxId(principal.tenant, idempotencyKey),
      tenant: principal.tenant,
      keyId: principal.keyId,
      language: body.language,
      version: runtime.manifest.version,
      ...(template ? { template } : {}),
      policy: policyName,
      idleTimeoutMs: body.idleTimeoutSeconds * 1000,
      maxLifetimeMs: body.maxLifetimeSeconds * 1000,
      maxStepTimeoutMs: policy.policy.limits.ceilings.timeoutMs,
      maxFileBytes: MAX_SANDBOX_FILE_BYTES,
      sourceFile: runtime.manifest.sourceFile,
      createdAt: new Date().toISOString(),
      files: body.files ?? [],
      env: body.env ?? {},
      ...(body.metadata ? { metadata: body.metadata } : {}),
      stepsPerRun: this.deps.stepsPerRun,
      ...(principal.quotas.queuedSteps !== undefined ? { maxQueuedSteps: principal.quotas.queuedSteps } : {}),
    };
    const limits = resolveLimits({ limits: {} }, policy.policy, runtime.manifest);
    const needs = { id: input.sandboxId, kind: 'sandbox' as const, memoryMb: limits.memoryMb, cpus: limits.cpus };
    checkFits(principal, needs);
    return { input, needs };
  }
}

/** An exec request as the step the workflow runs: a command becomes an argv, seconds milliseconds. */
export function execStep(body: SandboxExecRequest): StepRequest {
  return {
    kind: 'exec',
    ...(body.code !== undefined ? { code: body.code } : { argv: commandToArgv(body.command!) }),
    ...(body.stdin !== undefined ? { stdin: body.stdin } : {}),
    ...(body.timeoutSeconds !== undefined ? { timeoutMs: Math.round(body.timeoutSeconds * 1000) } : {}),
    ...(body.env !== undefined ? { env: body.env } : {}),
  };
}
