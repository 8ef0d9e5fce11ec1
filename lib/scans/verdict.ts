import { atLeast, type Finding, type GateVerdict, type Severity } from '../schemas/findings';

/** block when any finding reaches `blockAt`, warn when any reaches `warnAt`, pass otherwise. */
export function verdictFor(
  findings: Finding[],
  thresholds: { blockAt: Severity | 'never'; warnAt: Severity | 'never' },
): GateVerdict {
  if (findings.some((f) => atLeast(f.severity, thresholds.blockAt))) return 'block';
  if (findings.some((f) => atLeast(f.severity, thresholds.warnAt))) return 'warn';
  return 'pass';
}
