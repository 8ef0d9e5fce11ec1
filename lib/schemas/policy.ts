import { z } from 'zod';
import { LimitCeilings, Limits } from './limits';

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

/**
 * The pre-run gate's answer. It is an activity result, so the decision, its reasons and
 * every resolved limit are kept in workflow history.
 */
export interface ExecutionPlan {
  decision: GateDecision;
  reasons: string[];
  policy: PolicyRef;
  limits: Limits;
  runtime: { name: string; image: string };
  sandbox: SandboxSettings;
  /** argv of the run stage, entrypoint and args filled in. */
  runCommand: string[];
  testCommand: string[] | null;
  env: Record<string, string>;
  /** Total time the execution may take, queueing and teardown excluded. */
  budgetMs: number;
}
