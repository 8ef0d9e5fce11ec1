import { z } from 'zod';
import { LimitCeilings, Limits } from './limits';
import type { ReportFormat } from './runtime';

/** A policy file under policies/. Unknown keys are errors so that typos never weaken a policy. */
export const Policy = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  description: z.string().default(''),
  /** Runtimes this policy allows; `*` allows every installed runtime. */
  languages: z.array(z.string()).min(1).default(['*']),
  limits: z.strictObject({
    defaults: Limits,
    /** The most a request may ask for. */
    ceilings: LimitCeilings,
  }),
  sandbox: z
    .strictObject({
      /** OCI runtime: `runc`, or `runsc` (gVisor) where it is installed. */
      runtime: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*$/)
        .default('runc'),
      /** A profile under policies/seccomp/, by file name without `.json`. */
      seccompProfile: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]*$/)
        .default('strict'),
    })
    .default({ runtime: 'runc', seccompProfile: 'strict' }),
  input: z
    .strictObject({
      /** Code, files, test files and stdin together, in bytes. */
      maxTotalBytes: z.number().int().positive().default(2_097_152),
    })
    .default({ maxTotalBytes: 2_097_152 }),
});
export type Policy = z.infer<typeof Policy>;

export const GateDecision = z.enum(['pass', 'block']);
export type GateDecision = z.infer<typeof GateDecision>;

export interface PolicyRef {
  name: string;
  sha256: string;
}

/** How the sandbox is built, as the gate resolved it; the host refuses a profile whose hash differs. */
export interface SandboxSettings {
  runtime: string;
  seccompProfile: { name: string; sha256: string };
}

export interface CompilePlan {
  argv: string[];
  timeoutMs: number;
  /** The compile stage's memory; the container drops to the run's limit after it. */
  memoryMb: number;
}

export interface TestPlan {
  argv: string[];
  report: { format: ReportFormat; path?: string };
}

/**
 * The pre-run gate's answer. It is an activity result, so the decision, its reasons and
 * every resolved limit and command are kept in workflow history.
 */
export interface ExecutionPlan {
  decision: GateDecision;
  reasons: string[];
  policy: PolicyRef;
  /** The run stage's limits (policy defaults, then the runtime's, then the request's). */
  limits: Limits;
  runtime: { name: string; image: string };
  sandbox: SandboxSettings;
  compile: CompilePlan | null;
  /** argv of the run stage, placeholders and args filled in; null when only tests run. */
  runCommand: string[] | null;
  test: TestPlan | null;
  env: Record<string, string>;
  /** Total time the execution may take, queueing and teardown excluded. */
  budgetMs: number;
}
