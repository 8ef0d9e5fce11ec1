import { commandToArgv } from '../schemas/common';
import type { ExecutionInput } from '../schemas/execution-request';
import { type Limits, REQUESTABLE_LIMITS } from '../schemas/limits';
import type { ExecutionPlan, Policy, PolicyRef, SandboxSettings } from '../schemas/policy';
import type { RuntimeManifest } from '../schemas/runtime';
import { imageTagFor } from '../containers';
import { fillCommand, placeholderValues } from './commands';
import type { LoadedPolicy } from './policies';

/** Time allowed for queueing, provisioning, scanning and teardown on top of the stages' own limits. */
export const PIPELINE_OVERHEAD_MS = 120_000;

export interface PlanContext {
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
  input: Pick<ExecutionInput, 'language' | 'version' | 'template' | 'limits' | 'files' | 'tests' | 'stdin' | 'cases'>,
  policy: Policy,
  runtime: RuntimeManifest | undefined,
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  if (!runtime) {
    const named = input.version === undefined ? input.language : `${input.language} ${input.version}`;
    violations.push({ field: 'language', kind: 'language', message: `"${named}" has no runtime installed` });
  }
  if (!policy.languages.includes('*') && !policy.languages.includes(input.language)) {
    violations.push({
      field: 'language',
      kind: 'language',
      message: `"${input.language}" is not allowed by policy "${policy.name}"`,
    });
  }
  if (input.template && !policy.templates.allowed) {
    // A template's files and packages are not gated: under a policy that gates code they could carry what it denies.
    violations.push({
      field: 'template',
      kind: 'language',
      message: `templates are not allowed by policy "${policy.name}"`,
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
export function planExecution({ input, policy, policyRef, seccompProfile, runtime }: PlanContext): ExecutionPlan {
  const reasons = policyViolations(input, policy, runtime).map((v) => `${v.field}: ${v.message}`);
  const limits = resolveLimits(input, policy, runtime);
  const values = placeholderValues({ entrypoint: input.entrypoint, testFiles: input.tests?.files ?? [] });
  const test =
    runtime && input.tests
      ? {
          argv: input.tests.command ? commandToArgv(input.tests.command) : fillCommand(runtime.test.command, values),
          report: runtime.test.report,
        }
      : null;
  const needsCompile = input.entrypoint !== null || (test !== null && runtime?.test.needsCompile === true);
  const compile =
    runtime?.compile && needsCompile
      ? {
          argv: fillCommand(runtime.compile.command, values),
          timeoutMs: Math.min(runtime.compile.timeoutMs, policy.limits.ceilings.timeoutMs),
          memoryMb: Math.min(Math.max(runtime.compile.memoryMb, limits.memoryMb), policy.limits.ceilings.memoryMb),
        }
      : null;
  const runs = input.cases?.length ?? (input.entrypoint === null ? 0 : 1);
  return {
    decision: reasons.length === 0 ? 'pass' : 'block',
    reasons,
    policy: policyRef,
    limits,
    runtime: runtimeRef(input, runtime),
    sandbox: { runtime: policy.sandbox.runtime, seccompProfile },
    gates: {
      ...policy.gates,
      imports: { ...policy.gates.imports, deny: policy.gates.imports.deny[input.language] ?? [] },
    },
    approval: policy.approval,
    retention: policy.retention,
    compile,
    runCommand: runtime && input.entrypoint !== null ? [...fillCommand(runtime.run, values), ...input.args] : null,
    test,
    env: { ...(runtime?.env ?? {}), ...(input.template?.env ?? {}), ...input.env },
    budgetMs:
      (compile?.timeoutMs ?? 0) + runs * limits.timeoutMs + (test ? limits.testTimeoutMs : 0) + PIPELINE_OVERHEAD_MS,
  };
}

/** The plan under a loaded policy: what the orchestration worker's policy gate runs for every execution. */
export function planUnderPolicy({
  input,
  loaded,
  runtime,
}: {
  input: ExecutionInput;
  loaded: LoadedPolicy;
  runtime: RuntimeManifest | undefined;
}): ExecutionPlan {
  return planExecution({
    input,
    policy: loaded.policy,
    policyRef: loaded.ref,
    seccompProfile: { name: loaded.seccomp.name, sha256: loaded.seccomp.sha256 },
    runtime,
  });
}

/** Policy defaults, then the runtime's own (a JVM wants more memory), then the request; never above a ceiling. */
export function resolveLimits(
  input: Pick<ExecutionInput, 'limits'>,
  policy: Policy,
  runtime: RuntimeManifest | undefined,
): Limits {
  const { ceilings, defaults } = policy.limits;
  const limits: Limits = { ...defaults, ...(runtime?.limits ?? {}) };
  for (const key of REQUESTABLE_LIMITS) limits[key] = Math.min(input.limits[key] ?? limits[key], ceilings[key]);
  return limits;
}

export function totalInputBytes(input: Pick<ExecutionInput, 'files' | 'tests' | 'stdin' | 'cases'>): number {
  const files = [...input.files, ...(input.tests?.files ?? [])];
  const caseBytes = (input.cases ?? []).reduce(
    (sum, c) => sum + Buffer.byteLength(c.stdin ?? '') + Buffer.byteLength(c.expectedStdout ?? ''),
    0,
  );
  return (
    files.reduce((sum, f) => sum + Buffer.byteLength(f.content, f.encoding), 0) +
    Buffer.byteLength(input.stdin ?? '') +
    caseBytes
  );
}

/** The runtime version a plan runs, and its image. */
function runtimeRef(
  input: Pick<ExecutionInput, 'language' | 'version' | 'template'>,
  runtime: RuntimeManifest | undefined,
): ExecutionPlan['runtime'] {
  const version = runtime?.version ?? input.version;
  const ref: ExecutionPlan['runtime'] =
    version === undefined
      ? { name: input.language, image: imageTagFor(input.language) }
      : { name: input.language, version, image: imageTagFor(input.language, version) };
  if (!input.template) return ref;
  return { ...ref, image: input.template.image, template: { id: input.template.id, sha256: input.template.sha256 } };
}
