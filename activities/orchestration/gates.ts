import type { SourceFile } from '../../lib/schemas/common';
import type { GateResult } from '../../lib/schemas/findings';
import type { GatePlan } from '../../lib/schemas/policy';
import { findSecrets } from '../../lib/gates/secrets';
import { deniedImports } from '../../lib/gates/imports';
import { verdictFor } from '../../lib/gates/verdict';
import { sourceTexts } from '../../lib/gates/sources';

/** Pre-run gates that read the submitted text only: they run beside the workflows, in the orchestration worker. */
export function createGateActivities() {
  async function checkSecrets({
    files,
    gate,
  }: {
    files: SourceFile[];
    gate: GatePlan['secrets'];
  }): Promise<GateResult> {
    const findings = sourceTexts(files).flatMap((source) => findSecrets(source).map((m) => m.finding));
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
    const findings = deniedImports({
      language: input.language,
      files: sourceTexts(input.files),
      deny: gate.deny,
      severity: gate.severity,
    });
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
