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

/**
 * The pre-run policy gate: decides pass or block and resolves every limit and command the
 * later stages use. Pure, so the same input always yields the same plan.
 */
export function evaluateGate({ input, policy, policyRef, seccompProfile, runtime }: GateContext): ExecutionPlan {
  const reasons: string[] = [];
  if (!runtime) reasons.push(`language "${input.language}" has no runtime installed`);
  if (!policy.languages.includes('*') && !policy.languages.includes(input.language)) {
    reasons.push(`language "${input.language}" is not allowed by policy "${policy.name}"`);
  }
  const { ceilings, defaults } = policy.limits;
  for (const key of REQUESTABLE_LIMITS) {
    const requested = input.limits[key];
    if (requested !== undefined && requested > ceilings[key]) {
      reasons.push(`limits.${key} ${requested} exceeds the policy ceiling ${ceilings[key]}`);
    }
  }
  const inputBytes = totalInputBytes(input);
  if (inputBytes > policy.input.maxTotalBytes) {
    reasons.push(`input is ${inputBytes} bytes, over the policy's ${policy.input.maxTotalBytes}`);
  }

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

export function totalInputBytes(input: ExecutionInput): number {
  const files = [...input.files, ...(input.tests?.files ?? [])];
  return (
    files.reduce((sum, f) => sum + Buffer.byteLength(f.content, f.encoding), 0) + Buffer.byteLength(input.stdin ?? '')
  );
}
