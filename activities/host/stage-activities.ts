import { ApplicationFailure, log } from '@temporalio/activity';
import type { CaseResult, ProcessResult } from '../../lib/schemas/execution-result';
import { containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { judgeRun } from '../../lib/judge';
import { EXECUTION_ID_PATTERN } from '../../lib/node/execution-ids';
import { storeLongOutputs } from '../../lib/node/output-store';
import { LaunchFailed, superviseCapture } from '../supervisor/process';
import { SandboxGone, type SupervisedSandbox } from '../supervisor/sandboxes';
import { withHeartbeat } from './heartbeat';
import { runOnce, type ProcessKeys } from './host-ledger';
import { killStrayProcesses } from '../supervisor/stray-processes';
import { packFiles } from './workspace-files';
import { launchWriteFailure } from './write-failure';
import { buildTestReport } from './test-reports';
import type {
  CasesInput,
  CollectArtifactsInput,
  CompileInput,
  ExecInput,
  HostActivityDeps,
  RunInput,
  RunOutput,
  TestsInput,
  TestsOutput,
} from './types';
import type { OutputRules } from '../../lib/schemas/policy';
import { type ArtifactScan, scanArtifactArchive } from './artifacts';
import { ScanBudgetExceeded, sharedScanner, type Scanner } from '../scanner';
import type { Finding } from '../../lib/schemas/findings';

const MiB = 1024 * 1024;
/** Output kept per case in history; the comparison itself sees everything up to the output cap. */
const CASES_OUTPUT_BUDGET = 512 * 1024;
const REPORT_READ_LIMIT = 4 * MiB;
/** The most of a workspace read back for the artifact manifest. */
const ARTIFACT_READ_LIMIT = 16 * MiB;

/** One process of a stage: its key names it to the supervisor, the same on every attempt. */
type StageRun = Omit<ExecInput, 'files'> & { signal: AbortSignal; key: string; files?: Buffer };

/**
 * The container activities after provisioning, on the host's own queue. Each stage is one or more
 * messages to the sandbox's supervisor.
 */
export function createStageActivities({
  liveOutput,
  hostLedger,
  outputs,
  sandboxes,
  scanner: given,
}: HostActivityDeps) {
  const scanner = given ?? sharedScanner();
  const gate = (result: ProcessResult, name: string, rules: OutputRules | undefined) =>
    gateOutput(scanner, result, name, rules);
  // User code runs at most once per stage, whatever the retries; a host restart resumes the stage
  // through its keyed supervisor requests.
  const once = <T>(run: (signal: AbortSignal, keys: ProcessKeys) => Promise<T>) =>
    runOnce(hostLedger, run, { resumable: true });

  /** Sandbox steps have no route that serves a stored output, so theirs stay whole in their results. */
  const storesOutputs = (executionId: string): boolean =>
    outputs !== undefined && outputs.previewBytes > 0 && EXECUTION_ID_PATTERN.test(executionId);

  /** Long streams into the store, the result keeping their previews (see storeLongOutputs). */
  const withStoredOutputs = (result: ProcessResult, inlineBytes?: number): Promise<ProcessResult> =>
    storeLongOutputs(result, outputs!.store, outputs!.previewBytes, {
      ...(inlineBytes === undefined ? {} : { inlineBytes }),
      onStoreFailed: (stream, err) =>
        log.warn('storing an output failed; the result keeps what it can', { stream, error: String(err) }),
    });

  /** The result of a stage's main process: judged if the workflow asked, then its long outputs stored. */
  async function finishProcess(input: ExecInput, gated: ProcessResult): Promise<ProcessResult> {
    const judged = input.expected
      ? {
          ...gated,
          expectedStdoutMatched: judgeRun(gated, input.expected.stdout, input.expected.normalizeTrailingWhitespace)
            .matched,
        }
      : gated;
    return storesOutputs(input.executionId) ? withStoredOutputs(judged) : judged;
  }

  /** The sandbox's supervisor, over the channel this host holds (or opens again after a restart). */
  async function openSandbox(executionId: string): Promise<SupervisedSandbox> {
    const name = containerNameFor(executionId);
    try {
      return await sandboxes.get(name);
    } catch (err) {
      if (err instanceof SandboxGone) {
        throw ApplicationFailure.nonRetryable(`sandbox ${name} is ${err.status}`, ErrorType.ContainerGone);
      }
      throw err;
    }
  }

  /**
   * One process in the sandbox, one message to its supervisor, which kills whatever the process
   * leaves running. Should the supervisor not stop it at a limit, the host freezes the container
   * and kills the stage's processes itself (or, without a view of the cgroup, the container).
   */
  async function runInSandbox(sandbox: SupervisedSandbox, run: StageRun): Promise<ProcessResult> {
    const { container, cgroup, initPid } = sandbox;
    const { live, ...rest } = run;
    const { result } = await superviseCapture(sandbox, {
      ...rest,
      ...(live && liveOutput
        ? { live: { ...live, sink: liveOutput, workflowId: run.executionId, rules: run.outputRules } }
        : {}),
      ...(cgroup ? { terminate: () => killStrayProcesses(container, initPid, cgroup).then(() => undefined) } : {}),
    });
    return result;
  }

  /**
   * A stage's main process, the core of compile and run for executions and sandbox steps alike:
   * the input's files written by the launcher, the program, its output gated, the result finished.
   */
  async function stageProcess(
    sandbox: SupervisedSandbox,
    { files, ...input }: ExecInput,
    name: string,
    signal: AbortSignal,
    key: string,
  ): Promise<ProcessResult> {
    const packed = files && files.length > 0 ? await packFiles(files) : undefined;
    const run = await runInSandbox(sandbox, { ...input, ...(packed ? { files: packed } : {}), signal, key }).catch(
      (err: unknown) => {
        if (!(err instanceof LaunchFailed) || !files) throw err;
        const { type, message } = launchWriteFailure(err.message, files.map((f) => f.path).join(', '));
        throw ApplicationFailure.nonRetryable(message, type);
      },
    );
    return finishProcess(input, await gate(run, name, input.outputRules));
  }

  /**
   * The run stage: the program, then (when asked) the workspace's manifest in the same activity,
   * read once every process of the program is gone, which saves the scan stage a round trip.
   */
  async function runInContainer({ collect, ...input }: RunInput): Promise<RunOutput> {
    return once(async (signal, keys) => {
      const sandbox = await openSandbox(input.executionId);
      const process = await stageProcess(sandbox, input, 'run', signal, keys());
      const artifacts = collect && !sandbox.channel.closed ? await manifest(sandbox, collect) : null;
      return { process, artifacts };
    });
  }

  /** The run stage without a manifest: histories from before `runInContainer`, and sandbox steps. */
  async function execInContainer(input: ExecInput): Promise<ProcessResult> {
    return (await runInContainer(input)).process;
  }

  /** The compile stage; afterwards the container drops to the run's memory limit. */
  async function compileInContainer(input: CompileInput): Promise<ProcessResult> {
    return once(async (signal, keys) => {
      const sandbox = await openSandbox(input.executionId);
      const result = await stageProcess(sandbox, input, 'compile', signal, keys());
      const memory = input.runMemoryMb * MiB;
      const current = (await sandbox.container.inspect()).HostConfig.Memory;
      if (current !== memory && !signal.aborted) {
        await sandbox.container.update({ Memory: memory, MemorySwap: memory });
      }
      return result;
    });
  }

  /** Compile once, run many: every case in a fresh process, judged against its expected output. */
  async function runCasesInContainer(input: CasesInput): Promise<CaseResult[]> {
    return once(async (signal, keys) => {
      const sandbox = await openSandbox(input.executionId);
      const keep = Math.max(4096, Math.floor(CASES_OUTPUT_BUDGET / input.cases.length));
      const results: CaseResult[] = [];
      for (const [index, testCase] of input.cases.entries()) {
        const run = await runInSandbox(sandbox, {
          ...input,
          key: keys(),
          argv: [...input.argv, ...(testCase.args ?? [])],
          ...(testCase.stdin !== undefined ? { stdin: testCase.stdin } : {}),
          signal,
        });
        if (signal.aborted) break;
        // Judged on the whole output, before any of it is cut.
        const judged = judgeRun(run, testCase.expectedStdout, input.normalizeTrailingWhitespace);
        const name = `case.${index}`;
        const gated = storesOutputs(input.executionId)
          ? await withStoredOutputs(await gate(run, name, input.outputRules), keep)
          : await gate(preview(run, keep), name, input.outputRules);
        results.push({ ...gated, index, status: judged.status, expectedStdoutMatched: judged.matched });
        // A case that took the container with it leaves nothing to run the rest in.
        if (sandbox.channel.closed) break;
      }
      return results;
    });
  }

  /** The test stage: the runner, then its report (a file it wrote, or its stdout) parsed into per-test results. */
  async function runTestsInContainer(input: TestsInput): Promise<TestsOutput> {
    return once(async (signal, keys) => {
      const sandbox = await openSandbox(input.executionId);
      const process = await runInSandbox(sandbox, { ...input, signal, key: keys() });
      let text: string | null = process.stdout;
      let missing = 'the runner printed nothing';
      if (input.report.path) {
        missing = `the runner wrote no report at ${input.report.path}`;
        const read = sandbox.channel.closed
          ? undefined
          : (
              await superviseCapture(sandbox, {
                key: keys(),
                argv: ['cat', input.report.path],
                timeoutMs: 10_000,
                outputBytes: REPORT_READ_LIMIT,
              })
            ).result;
        text = read?.exitCode === 0 ? read.stdout : null;
      }
      const report = buildTestReport(input.report.format, text, missing);
      if (input.outputRules) {
        const rules = input.outputRules;
        report.cases = await Promise.all(
          report.cases.map(async (c) =>
            c.message ? { ...c, message: await gatedText(scanner, `tests.${c.name}`, c.message, rules) } : c,
          ),
        );
      }
      return { process: await finishProcess(input, await gate(process, 'tests', input.outputRules)), report };
    });
  }

  /** The files the program wrote: a hash manifest, with small ones scanned by the output gate. */
  async function collectArtifacts(input: CollectArtifactsInput): Promise<ArtifactScan> {
    return withHeartbeat(async () => manifest(await openSandbox(input.executionId), input));
  }

  async function manifest(
    sandbox: SupervisedSandbox,
    { submitted, outputRules }: Omit<CollectArtifactsInput, 'executionId'>,
  ): Promise<ArtifactScan> {
    // The supervisor packs it as the sandbox user, once every process of the program is gone.
    const packed = await sandbox.channel.pack(ARTIFACT_READ_LIMIT);
    return scanArtifactArchive(
      packed.tar,
      !packed.truncated && packed.exitCode === 0,
      new Map(submitted.map((d) => [d.name, d.sha256])),
      outputRules,
      scanner,
    );
  }

  return {
    runInContainer,
    execInContainer,
    compileInContainer,
    runCasesInContainer,
    runTestsInContainer,
    collectArtifacts,
  };
}

/**
 * The output gate on one process: matches redacted in place, findings and the block flag recorded.
 * A scan past its budget fails closed: nothing of the output is kept, and the process is blocked.
 */
async function gateOutput(
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
    const withheld = `[REDACTED: ${err.message}]`;
    const finding: Finding = {
      gate: 'output',
      ruleId: 'scan-budget',
      severity: 'high',
      message: err.message,
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
}

/** One text through the output gate; withheld whole when its scan overruns the budget. */
async function gatedText(scanner: Scanner, name: string, text: string, rules: OutputRules): Promise<string> {
  try {
    return (await scanner.output(name, text, rules)).text;
  } catch (err) {
    if (err instanceof ScanBudgetExceeded) return `[REDACTED: ${err.message}]`;
    throw err;
  }
}

function preview(run: ProcessResult, keep: number): ProcessResult {
  return {
    ...run,
    stdout: run.stdout.slice(0, keep),
    stderr: run.stderr.slice(0, keep),
    stdoutTruncated: run.stdoutTruncated || run.stdout.length > keep,
    stderrTruncated: run.stderrTruncated || run.stderr.length > keep,
  };
}
