/** What a scan thread runs (activities/scanner.ts): the gates' pure functions, one call per task. */
import { findSecrets, type TextSource } from '../lib/scans/secrets';
import { deniedImports, type ImportCheck } from '../lib/scans/imports';
import { scanOutput, type ScannedOutput } from '../lib/scans/output-scan';
import type { Finding } from '../lib/schemas/findings';
import type { OutputRules } from '../lib/schemas/policy';

export function secrets({ sources }: { sources: TextSource[] }): Finding[] {
  return sources.flatMap((source) => findSecrets(source).map((m) => m.finding));
}

export function imports(check: ImportCheck): Finding[] {
  return deniedImports(check);
}

export function output({ path, text, rules }: { path: string; text: string; rules: OutputRules }): ScannedOutput {
  return scanOutput(path, text, rules);
}
