import type { SourceFile } from '../../lib/schemas/common';
import type { GateResult } from '../../lib/schemas/findings';
import type { GatePlan } from '../../lib/schemas/policy';
import { verdictFor } from '../../lib/scans/verdict';
import { sourceTexts } from '../../lib/scans/sources';
import { ScanBudgetExceeded, type Scanner } from '../scanner';

/**
 * Pre-run gates that read the submitted text only: they run beside the workflows, in the
 * orchestration worker, their scans on its scan threads. A scan past its budget fails closed.
 */
export function createGateActivities({ scanner }: { scanner: Scanner }) {
  const closed = (gate: 'secrets' | 'imports', tool: string, err: unknown): GateResult => {
    if (!(err instanceof ScanBudgetExceeded)) throw err;
    return {
      gate,
      verdict: 'block',
      findings: [],
      tools: [{ name: tool, version: null }],
      error: err.message,
      note: null,
    };
  };

  async function checkSecrets({
    files,
    gate,
  }: {
    files: SourceFile[];
    gate: GatePlan['secrets'];
  }): Promise<GateResult> {
    let findings;
    try {
      findings = await scanner.secrets(sourceTexts(files));
    } catch (err) {
      return closed('secrets', 'airlock-secrets', err);
    }
    return {
      gate: 'secrets',
      verdict: verdictFor(findings, gate),
      findings,
      tools: [{ name: 'airlock-secrets', version: null }],
      error: null,
      note: null,
    };
  }

  async function checkImports(input: {
    language: string;
    files: SourceFile[];
    gate: GatePlan['imports'];
  }): Promise<GateResult> {
    const { gate } = input;
    let findings;
    try {
      findings = await scanner.imports({
        language: input.language,
        files: sourceTexts(input.files),
        deny: gate.deny,
        severity: gate.severity,
      });
    } catch (err) {
      return closed('imports', 'airlock-imports', err);
    }
    return {
      gate: 'imports',
      verdict: verdictFor(findings, gate),
      findings,
      tools: [{ name: 'airlock-imports', version: null }],
      error: null,
      note: gate.deny.length === 0 ? `the policy denies no imports for ${input.language}` : null,
    };
  }

  return { checkSecrets, checkImports };
}
