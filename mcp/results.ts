/**
 * Tool results: a short text an agent reads, plus `structuredContent` with the whole answer for
 * clients that use it. Failures of Airlock itself become `isError` results; what the program did
 * (a non-zero exit, a time limit) is an ordinary result, because it is what the agent asked to see.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ExecutionResult, OutputRef, ProcessResult } from '../lib/schemas/execution-result';
import type { GateResult } from '../lib/schemas/findings';
import type { FileEntry, SandboxInfo, StepResult } from '../lib/schemas/sandbox';
import { isApiError } from './airlock-like';
import { describeArtifacts } from './artifacts';

/** Characters of each output stream put in the text; the rest is in `structuredContent`. */
export const DEFAULT_MAX_TEXT_CHARS = 20_000;

type Structured = Record<string, unknown>;

export function textResult(text: string, structured?: Structured): CallToolResult {
  return { content: [{ type: 'text', text }], ...(structured ? { structuredContent: structured } : {}) };
}

/** A tool argument the tool itself refuses (the schema cannot say "exactly one of"). */
export function invalidArgument(field: string, message: string): CallToolResult {
  return failure(`Invalid argument ${field}: ${message}`, { code: 'invalid_argument', field, message });
}

/**
 * An error as an `isError` result, never a thrown one: the agent should read why and correct its
 * call. `fields` renames the API's field names (`limits.timeoutMs`) to the tool's arguments.
 */
export function errorResult(err: unknown, fields: Record<string, string> = {}): CallToolResult {
  if (!isApiError(err)) {
    const message = describe(err);
    return failure(`The call to Airlock failed: ${message}`, { code: 'client_error', message });
  }
  const rename = (field: string): string => (fields[field] ? `${fields[field]} (API field ${field})` : field);
  // Status 0: no answer came (connection refused, timeout, cancelled); the cause says more.
  const lines = [
    err.status === 0
      ? `The call to Airlock failed (${err.code}): ${describe(err)}`
      : `Airlock answered ${err.status} ${err.code}: ${err.message}`,
  ];
  if (err.field) lines.push(`field: ${rename(err.field)}`);
  for (const issue of err.issues ?? []) {
    if (issue.field !== err.field || !err.message.endsWith(issue.message)) {
      lines.push(`- ${rename(issue.field)}: ${issue.message}`);
    }
  }
  const hint = HINTS[err.code] ?? (err.status === 401 ? HINTS.unauthenticated : undefined);
  if (hint) lines.push(hint);
  // The SDK's AirlockSandboxFailedError carries the sandbox that could not start.
  const sandbox = (err as { sandbox?: unknown }).sandbox;
  return failure(lines.join('\n'), {
    status: err.status,
    code: err.code,
    message: err.message,
    ...(err.field ? { field: err.field } : {}),
    ...(err.issues?.length ? { issues: err.issues } : {}),
    ...(sandbox && typeof sandbox === 'object' ? { sandbox } : {}),
  });
}

function failure(text: string, error: Structured): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: { error }, isError: true };
}

const HINTS: Record<string, string> = {
  sandbox_ended: 'The sandbox has ended; create a new one with sandbox_create.',
  sandbox_failed: 'The sandbox could not start; fix the cause above and create another.',
  not_found: 'No such sandbox or file (or it belongs to another tenant).',
  file_not_found: 'No such file; list the directory with sandbox_list_files.',
  workspace_full: "The sandbox's workspace is full: delete files you no longer need, then retry the write.",
  read_only_path: 'Only the workspace (and /tmp) can be written; write under the workspace instead.',
  unauthenticated:
    'The Airlock API key is missing, invalid or revoked: a person must fix the key this MCP server uses.',
  unavailable: 'Airlock is temporarily unavailable; retry shortly.',
  timeout: 'The call timed out; the program may still be running. Retry, or use a shorter timeoutSeconds.',
};

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'AbortError') return 'the call was cancelled';
  // fetch() reports "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

const STATUS_MEANINGS: Record<string, string> = {
  succeeded: 'the program exited 0',
  runtime_error: 'the program exited non-zero',
  signaled: 'the program was killed by a signal',
  time_limit_exceeded: 'the program ran out of time',
  memory_limit_exceeded: 'the program ran out of memory and was killed',
  output_limit_exceeded: 'stdout plus stderr reached the output cap and the program was killed',
  compile_error: 'the program did not compile; the compiler output follows',
  wrong_answer: 'stdout differed from the expected output',
  tests_failed: 'the tests failed',
  rejected: 'a policy gate blocked the code before it ran',
  cancelled: 'the execution was cancelled',
  internal_error: 'Airlock failed (not the program); retrying may help',
  host_out_of_memory: 'the host ran out of memory and killed the program within its own limit; retrying may help',
};

export function statusLine(status: string): string {
  const meaning = STATUS_MEANINGS[status];
  return `status: ${status}${meaning ? ` (${meaning})` : ''}`;
}

/** Keeps the start and the end of a long text: a traceback or a summary is usually at the end. */
export function clip(text: string, maxChars: number, whole = 'the full text is in structuredContent'): string {
  if (text.length <= maxChars) return text;
  const head = Math.ceil(maxChars / 2);
  const tail = maxChars - head;
  const omitted = text.length - maxChars;
  const note = `… [${omitted} characters omitted here; ${whole}] …`;
  return `${text.slice(0, head)}\n${note}\n${text.slice(text.length - tail)}`;
}

interface StreamOutput {
  name: string;
  text: string;
  bytes: number;
  truncated: boolean;
  /** Set when `text` is only a preview and the whole is stored. */
  ref: OutputRef | null | undefined;
  /** Where the API serves the whole (an execution's stage); unknown for a sandbox step. */
  wholeAt: string | undefined;
}

function stream(out: StreamOutput, maxChars: number): string {
  const notes: string[] = [];
  if (out.truncated)
    notes.push(`truncated: the program wrote ${out.bytes} bytes and the output cap kept the first part`);
  if (out.ref) {
    const whole = `the whole (${out.ref.bytes} bytes, sha256 ${out.ref.sha256})`;
    const where = out.wholeAt ? `is at GET ${out.wholeAt}` : 'is stored';
    notes.push(`cut to a preview of its first ${Buffer.byteLength(out.text)} bytes; ${whole} ${where}`);
  }
  const more = notes.map((n) => `, ${n}`).join('');
  if (out.text === '') return `--- ${out.name}: (empty${more}) ---`;
  const whole = out.ref ? 'the preview is whole in structuredContent' : undefined;
  const body = `${clip(out.text, maxChars, whole)}${out.text.endsWith('\n') ? '' : '\n'}`;
  return `--- ${out.name} (${out.bytes} bytes${more}) ---\n${body}--- end of ${out.name}${out.ref ? ' preview' : ''} ---`;
}

/**
 * One process: how it ended, then its output. `outputs` is where the API serves the process's
 * stored streams (`/v1/executions/:id/outputs/:stage`), for an execution's stage.
 */
export function describeProcess(p: ProcessResult, maxChars: number, label?: string, outputs?: string): string {
  const prefix = label ? `${label} ` : '';
  const facts = [`${prefix}exit code: ${p.exitCode ?? 'unknown'}`];
  if (p.signal) facts.push(`${prefix}signal: ${p.signal}`);
  if (p.limitExceeded) facts.push(`${prefix}limit exceeded: ${p.limitExceeded}`);
  if (p.oomKilled) facts.push(`${prefix}killed by the OOM killer`);
  if (p.outputBlocked) facts.push(`${prefix}output blocked by the output gate`);
  const time = [`${p.wallMs} ms wall`];
  if (p.cpuMs !== null) time.push(`${p.cpuMs} ms CPU`);
  if (p.peakMemoryBytes !== null) time.push(`peak memory ${(p.peakMemoryBytes / 1_048_576).toFixed(1)} MiB`);
  facts.push(`${prefix}time: ${time.join(', ')}`);
  const output = (name: 'stdout' | 'stderr'): string =>
    stream(
      {
        name: `${prefix}${name}`,
        text: p[name],
        bytes: p[`${name}Bytes`],
        truncated: p[`${name}Truncated`],
        ref: p[`${name}Ref`],
        wholeAt: outputs && `${outputs}/${name}`,
      },
      maxChars,
    );
  return [...facts, output('stdout'), output('stderr')].join('\n');
}

/** Gates that did not simply pass, with what they found: why code was blocked, or what to fix. */
function describeGates(gates: GateResult[]): string[] {
  return gates
    .filter((g) => g.verdict !== 'pass' || g.error)
    .map((g) => {
      const findings = g.findings.map((f) => {
        const where = f.location ? ` at ${f.location.path}${f.location.line ? `:${f.location.line}` : ''}` : '';
        return `${f.severity} ${f.ruleId}: ${f.message}${where}`;
      });
      if (g.error) findings.push(`could not run: ${g.error}`);
      return `gate ${g.gate}: ${g.verdict}${findings.length ? ` (${findings.join('; ')})` : ''}`;
    });
}

export function summarizeExecution(r: ExecutionResult, maxChars: number, shown = new Set<string>()): string {
  const lines = [statusLine(r.status), `execution: ${r.id} (${r.language}, policy ${r.policy?.name ?? 'unknown'})`];
  if (r.timeLimit) lines.push(`time limit: ${r.timeLimit}`);
  if (r.error) lines.push(`error: ${r.error.message}`);
  lines.push(...describeGates(r.gates));
  const outputs = (stage: string) => `/v1/executions/${encodeURIComponent(r.id)}/outputs/${stage}`;
  if (r.compile && (r.status === 'compile_error' || r.compile.exitCode !== 0)) {
    lines.push(describeProcess(r.compile, maxChars, 'compile', outputs('compile')));
  }
  if (r.run) lines.push(describeProcess(r.run, maxChars, undefined, outputs('run')));
  else if (!r.compile) lines.push('the program did not run');
  lines.push(...describeArtifacts(r.artifacts, shown));
  return lines.join('\n');
}

export function summarizeStep(step: StepResult, maxChars: number, shown = new Set<string>()): string {
  const lines = [statusLine(step.status), `step: ${step.stepId} (#${step.index} of sandbox ${step.sandboxId})`];
  if (step.error) lines.push(`error: ${step.error.message}`);
  lines.push(...describeGates(step.gates));
  lines.push(step.process ? describeProcess(step.process, maxChars) : 'no process ran');
  lines.push(...describeArtifacts(step.artifacts, shown));
  return lines.join('\n');
}

export function summarizeSandbox(info: SandboxInfo): string {
  const lines = [`sandbox ${info.id}: ${info.status} (${info.language}, policy ${info.policy}, ${info.steps} steps)`];
  if (info.end) lines.push(`ended: ${info.end.reason}: ${info.end.message}`);
  else {
    lines.push(`torn down after ${info.idleTimeoutSeconds} s without a step, and at the latest at ${info.expiresAt}`);
  }
  return lines.join('\n');
}

export function summarizeEntries(dir: string, entries: FileEntry[]): string {
  if (entries.length === 0) return `${dir}: empty directory`;
  const rows = entries.map((e) =>
    e.type === 'directory' ? `${e.name}/  directory` : `${e.name}  ${e.type}  ${e.bytes} bytes`,
  );
  return [`${dir}: ${entries.length} entries`, ...rows].join('\n');
}
