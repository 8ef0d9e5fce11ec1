import type { ProcessResult } from '../../lib/schemas/execution-result';
import type { Finding } from '../../lib/schemas/findings';
import type { OutputRules } from '../../lib/schemas/policy';
import { ScanBudgetExceeded, type Scanner } from '../scanner';

/**
 * The output gate on one process: matches redacted in place, findings and the block flag recorded.
 * A scan past its budget fails closed: nothing of the output is kept, and the process is blocked.
 */
export async function gateOutput(
  scanner: Scanner,
  result: ProcessResult,
  name: string,
  rules: OutputRules | undefined,
): Promise<ProcessResult> {
  if (!rules) return result;
  // Nothing to find in an empty stream: no trip to the scan threads.
  const scan = (stream: string, text: string) =>
    text === '' ? { text, findings: [], blocked: false } : scanner.output(`${name}.${stream}`, text, rules);
  try {
    const [stdout, stderr] = await Promise.all([scan('stdout', result.stdout), scan('stderr', result.stderr)]);
    return {
      ...result,
      stdout: stdout.text,
      stderr: stderr.text,
      outputFindings: [...result.outputFindings, ...stdout.findings, ...stderr.findings],
      outputBlocked: result.outputBlocked || stdout.blocked || stderr.blocked,
    };
  } catch (err) {
    if (!(err instanceof ScanBudgetExceeded)) throw err;
    return withheldWhole(result, err.message);
  }
}

/** One text through the output gate; withheld whole when its scan overruns the budget. */
export async function gatedText(scanner: Scanner, name: string, text: string, rules: OutputRules): Promise<string> {
  try {
    return (await scanner.output(name, text, rules)).text;
  } catch (err) {
    if (err instanceof ScanBudgetExceeded) return `[REDACTED: ${err.message}]`;
    throw err;
  }
}

function withheldWhole(result: ProcessResult, reason: string): ProcessResult {
  const withheld = `[REDACTED: ${reason}]`;
  const finding: Finding = {
    gate: 'output',
    ruleId: 'scan-budget',
    severity: 'high',
    message: reason,
    location: null,
    tool: 'airlock-output',
  };
  return {
    ...result,
    stdout: withheld,
    stderr: withheld,
    outputFindings: [...result.outputFindings, finding],
    outputBlocked: true,
  };
}
