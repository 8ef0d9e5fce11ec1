import { commandToArgv } from './schemas/common';
import type { ExecutionInput } from './schemas/execution-request';
import type { Limits } from './schemas/limits';
import { REQUESTABLE_LIMITS } from './schemas/limits';
import type { ExecutionPlan, Policy, PolicyRef, SandboxSettings } from './schemas/policy';
import type { RuntimeManifest } from './schemas/runtime';
import { imageTagFor } from './containers';

/** Time allowed for queueing, provisioning, scanning and teardown on top of the stages' own limits. */
export const PIPELINE_OVERHEAD_MS = 120_000;

export interface GateContext {
  input: ExecutionInput;
  policy: Policy;
  policyRef: PolicyRef;
  seccompProfile: SandboxSettings['seccompProfile'];
  runtime: RuntimeManifest | undefined;
}

/** One way a request breaks its policy; `field` is where in the request, as the API names fields. */
export interface PolicyViolation {
  field: string;
  message: string;
  /** `size` violations are answered 413 at the API, the rest 400. */
  kind: 'language' | 'limit' | 'size';
}

/** Everything about the request the policy forbids. Shared by the API (a 4xx up front) and the gate (in history). */
export function policyViolations(
  input: Pick<ExecutionInput, 'language' | 'limits' | 'files' | 'tests' | 'stdin'>,
  policy: Policy,
  runtime: RuntimeManifest | undefined,
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  if (!runtime)
    violations.push({ field: 'language', kind: 'language', message: `"${input.language}" has no runtime installed` });
  if (!policy.languages.includes('*') && !policy.languages.includes(input.language)) {
    violations.push({
      field: 'language',
      kind: 'language',
      message: `"${input.language}" is not allowed by policy "${policy.name}"`,
    });
  }
  const { ceilings } = policy.limits;
  for (const key of REQUESTABLE_LIMITS) {
    const requested = input.limits[key];
    if (requested !== undefined && requested > ceilings[key]) {
      violations.push({
        field: `limits.${key}`,
        kind: 'limit',
        message: `${requested} exceeds the policy ceiling ${ceilings[key]}`,
      });
    }
  }
  const inputBytes = totalInputBytes(input);
  if (inputBytes > policy.input.maxTotalBytes) {
    violations.push({
      field: input.files.length === 1 && !input.tests ? 'code' : 'files',
      kind: 'size',
      message: `code, files and stdin come to ${inputBytes} bytes, over the policy's ${policy.input.maxTotalBytes}`,
    });
  }
  return violations;
}

/**
 * The pre-run policy gate: decides pass or block and resolves every limit and command the
 * later stages use. Pure, so the same input always yields the same plan.
 */
export function evaluateGate({ input, policy, policyRef, seccompProfile, runtime }: GateContext): ExecutionPlan {
  const reasons = policyViolations(input, policy, runtime).map((v) => `${v.field}: ${v.message}`);
  const { ceilings, defaults } = policy.limits;
  const limits: Limits = { ...defaults };
  for (const key of REQUESTABLE_LIMITS) limits[key] = Math.min(input.limits[key] ?? defaults[key], ceilings[key]);
  const testCommand = input.tests ? commandToArgv(input.tests.command) : null;
  return {
    decision: reasons.length === 0 ? 'pass' : 'block',
    reasons,
    policy: policyRef,
    limits,
    runtime: { name: input.language, image: imageTagFor(input.language) },
    sandbox: { runtime: policy.sandbox.runtime, seccompProfile },
    runCommand: runtime
      ? [...runtime.run.map((a) => a.replaceAll('{entrypoint}', input.entrypoint)), ...input.args]
      : [],
    testCommand,
    env: { ...(runtime?.env ?? {}), ...input.env },
    budgetMs: limits.timeoutMs + (testCommand ? limits.testTimeoutMs : 0) + PIPELINE_OVERHEAD_MS,
  };
}

export function totalInputBytes(input: Pick<ExecutionInput, 'files' | 'tests' | 'stdin'>): number {
  const files = [...input.files, ...(input.tests?.files ?? [])];
  return (
    files.reduce((sum, f) => sum + Buffer.byteLength(f.content, f.encoding), 0) + Buffer.byteLength(input.stdin ?? '')
  );
}
