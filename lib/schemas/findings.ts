import { z } from 'zod';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const GATE_NAMES = ['secrets', 'imports', 'static-analysis', 'output'] as const;
export const GateName = z.enum(GATE_NAMES);
export type GateName = z.infer<typeof GateName>;

export const GateVerdict = z.enum(['pass', 'warn', 'block']);
export type GateVerdict = z.infer<typeof GateVerdict>;

/** One thing a gate found, shaped so it maps onto a SARIF result. */
export const Finding = z.object({
  gate: GateName,
  /** Stable id of the rule, e.g. `aws-access-key-id`, `B602`, `SC2086`, `imports/subprocess`. */
  ruleId: z.string(),
  severity: Severity,
  message: z.string(),
  /** Where, when it is in a file; stdout and stderr are `run.stdout` / `run.stderr`. */
  location: z
    .object({ path: z.string(), line: z.number().int().nullable(), column: z.number().int().nullable() })
    .nullable(),
  /** The analyzer that reported it. */
  tool: z.string(),
});
export type Finding = z.infer<typeof Finding>;

/** A gate's decision, as the workflow records it. */
export const GateResult = z.object({
  gate: GateName,
  verdict: GateVerdict,
  findings: z.array(Finding),
  /** Tools the gate ran, with their versions where known. */
  tools: z.array(z.object({ name: z.string(), version: z.string().nullable() })),
  /** Set when the gate could not run as asked (an analyzer failed); such a gate fails closed. */
  error: z.string().nullable(),
  /** Why nothing was checked, e.g. no analyzer for the language. */
  note: z.string().nullable(),
});
export type GateResult = z.infer<typeof GateResult>;

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export function atLeast(severity: Severity, threshold: Severity | 'never'): boolean {
  return threshold !== 'never' && RANK[severity] >= RANK[threshold];
}
