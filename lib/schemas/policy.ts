import { RE2JS } from 're2js';
import { z } from 'zod';
import { LimitCeilings, Limits } from './limits';
import type { ReportFormat } from './runtime';
import { Severity, type GateResult } from './findings';

/** A finding at or above `blockAt` blocks the execution; at or above `warnAt` it warns. */
const Threshold = z.union([Severity, z.literal('never')]);
const Thresholds = { blockAt: Threshold, warnAt: Threshold };

const SeverityGate = (blockAt: Severity | 'never', warnAt: Severity | 'never') =>
  z
    .strictObject({
      enabled: z.boolean().default(true),
      blockAt: Thresholds.blockAt.default(blockAt),
      warnAt: Thresholds.warnAt.default(warnAt),
    })
    .default({ enabled: true, blockAt, warnAt });

const ModuleName = z.string().regex(/^[A-Za-z0-9_.:/@-]+$/, 'must be a module or package name');

/** A regular expression, checked when the policy loads. */
/** An output pattern, in RE2 syntax: the output gate matches it in linear time (lib/scans/output-scan.ts). */
const Pattern = z.string().refine((source) => {
  try {
    RE2JS.compile(source);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid RE2 regular expression (no lookaround or backreferences)');

export const Gates = z
  .strictObject({
    /** Known credential formats and high-entropy strings in the submitted files. */
    secrets: SeverityGate('high', 'low'),
    /** The language's analyzer (bandit, shellcheck, eslint with security rules, flawfinder), in a scanner container. */
    staticAnalysis: SeverityGate('high', 'medium'),
    /** Modules the code may not import, per language. */
    imports: z
      .strictObject({
        enabled: z.boolean().default(true),
        deny: z.record(z.string(), z.array(ModuleName)).default({}),
        severity: Severity.default('high'),
        blockAt: Thresholds.blockAt.default('high'),
        warnAt: Thresholds.warnAt.default('low'),
      })
      .default({ enabled: true, deny: {}, severity: 'high', blockAt: 'high', warnAt: 'low' }),
    /** After the run: secrets and the policy's own patterns in stdout, stderr and files the program wrote. */
    output: z
      .strictObject({
        secrets: z.enum(['off', 'redact', 'block']).default('redact'),
        patterns: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[a-z0-9-]+$/),
              regex: Pattern,
              action: z.enum(['redact', 'block']),
            }),
          )
          .default([]),
      })
      .default({ secrets: 'redact', patterns: [] }),
  })
  .default({
    secrets: { enabled: true, blockAt: 'high', warnAt: 'low' },
    staticAnalysis: { enabled: true, blockAt: 'high', warnAt: 'medium' },
    imports: { enabled: true, deny: {}, severity: 'high', blockAt: 'high', warnAt: 'low' },
    output: { secrets: 'redact', patterns: [] },
  });
export type Gates = z.infer<typeof Gates>;
export type OutputRules = Gates['output'];

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
  gates: Gates,
  /**
   * Whether executions and sandboxes may run a tenant's template. Its files and packages are the
   * tenant's own base, not gated code: a policy that denies imports should not allow them.
   */
  templates: z.strictObject({ allowed: z.boolean().default(true) }).default({ allowed: true }),
  approval: z
    .strictObject({
      /** `on-warn`: when any gate warns. */
      required: z.enum(['never', 'always', 'on-warn']).default('never'),
      /** How long the execution waits for a reviewer before it is rejected. */
      timeoutMs: z.number().int().positive().default(3_600_000),
      /** Distinct keys that must approve, none of them the submitting key; one rejection rejects. */
      approvers: z.number().int().min(1).max(10).default(1),
    })
    .default({ required: 'never', timeoutMs: 3_600_000, approvers: 1 }),
  retention: z
    .strictObject({
      /** Results and history (the Temporal namespace's retention must be at least this). */
      resultsDays: z.number().int().positive().default(30),
      /** Files the program wrote, where they are kept. */
      artifactsDays: z.number().int().positive().default(7),
    })
    .default({ resultsDays: 30, artifactsDays: 7 }),
});
export type Policy = z.infer<typeof Policy>;

export interface ApprovalPlan {
  required: 'never' | 'always' | 'on-warn';
  timeoutMs: number;
  /** Absent in plans recorded before separation of duties: one approver. */
  approvers?: number;
}

/** The gates the plan runs, resolved for the execution's language. */
export interface GatePlan {
  secrets: Gates['secrets'];
  staticAnalysis: Gates['staticAnalysis'];
  imports: {
    enabled: boolean;
    deny: string[];
    severity: Severity;
    blockAt: Severity | 'never';
    warnAt: Severity | 'never';
  };
  output: OutputRules;
}

export type { GateResult };

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
  /** The runtime version and its image; plans from before versions have no `version` (their image was `:latest`). */
  /** `template`: the tenant's template it runs instead of the runtime's own image. */
  runtime: { name: string; version?: string; image: string; template?: { id: string; sha256: string } };
  sandbox: SandboxSettings;
  gates: GatePlan;
  approval: ApprovalPlan;
  retention: Policy['retention'];
  compile: CompilePlan | null;
  /** argv of the run stage, placeholders and args filled in; null when only tests run. */
  runCommand: string[] | null;
  test: TestPlan | null;
  env: Record<string, string>;
  /** Total time the execution may take, queueing and teardown excluded. */
  budgetMs: number;
}
