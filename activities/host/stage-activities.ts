import type { CaseResult, ProcessResult, TestReport } from '../../lib/schemas/execution-result';
import type { SupervisedSandbox } from '../supervisor/sandboxes';
import { superviseCapture } from '../supervisor/process';
import type { ArtifactScan } from './artifacts';
import { withHeartbeat } from './heartbeat';
import type { ProcessKeys } from './host-ledger';
import { StageRunner } from './stage-runner';
import { judgeRun } from '../../lib/judge';
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

const MiB = 1024 * 1024;
/** Output kept per case in history; the comparison itself sees everything up to the output cap. */
const CASES_OUTPUT_BUDGET = 512 * 1024;
const REPORT_READ_LIMIT = 4 * MiB;

/**
 * The container activities after provisioning, on the host's own queue. Each stage is one or more
 * messages to the sandbox's supervisor.
 */
export function createStageActivities(deps: HostActivityDeps) {
  const stage = new StageRunner(deps);

  /**
   * The run stage: the program, then (when asked) the workspace's manifest in the same activity,
   * read once every process of the program is gone, which saves the scan stage a round trip.
   */
  async function runInContainer({ collect, ...input }: RunInput): Promise<RunOutput> {
    return stage.once(async (signal, keys) => {
      const sandbox = await stage.openSandbox(input.executionId);
      const process = await stage.stageProcess(sandbox, input, { name: 'run', signal, key: keys() });
      const artifacts =
        collect && !sandbox.channel.closed
          ? await stage.manifest(sandbox, { executionId: input.executionId, ...collect }, process.outputBlocked)
          : null;
      return { process, artifacts };
    });
  }

  /** The run stage without a manifest: histories from before `runInContainer`, and sandbox steps. */
  async function execInContainer(input: ExecInput): Promise<ProcessResult> {
    return (await runInContainer(input)).process;
  }

  /** The compile stage; afterwards the container drops to the run's memory limit. */
  async function compileInContainer(input: CompileInput): Promise<ProcessResult> {
    return stage.once(async (signal, keys) => {
      const sandbox = await stage.openSandbox(input.executionId);
      const result = await stage.stageProcess(sandbox, input, { name: 'compile', signal, key: keys() });
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
    return stage.once(async (signal, keys) => runCases(stage, input, { signal, keys }));
  }

  /** The test stage: the runner, then its report (a file it wrote, or its stdout) parsed into per-test results. */
  async function runTestsInContainer(input: TestsInput): Promise<TestsOutput> {
    return stage.once(async (signal, keys) => {
      const sandbox = await stage.openSandbox(input.executionId);
      const process = await stage.runInSandbox(sandbox, { ...input, signal, key: keys() });
      const report = await readTestReport(stage, sandbox, { input, stdout: process.stdout, keys });
      return {
        process: await stage.finishProcess(input, await stage.gate(process, 'tests', input.outputRules)),
        report,
      };
    });
  }

  /** The files the program wrote: a hash manifest, with small ones scanned by the output gate. */
  async function collectArtifacts(input: CollectArtifactsInput): Promise<ArtifactScan> {
    return withHeartbeat(async () => stage.manifest(await stage.openSandbox(input.executionId), input));
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

async function runCases(
  stage: StageRunner,
  input: CasesInput,
  { signal, keys }: { signal: AbortSignal; keys: ProcessKeys },
): Promise<CaseResult[]> {
  const sandbox = await stage.openSandbox(input.executionId);
  const keep = Math.max(4096, Math.floor(CASES_OUTPUT_BUDGET / input.cases.length));
  const results: CaseResult[] = [];
  for (const [index, testCase] of input.cases.entries()) {
    const run = await stage.runInSandbox(sandbox, {
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
    const gated = stage.storesOutputs(input.executionId)
      ? await stage.withStoredOutputs(await stage.gate(run, name, input.outputRules), keep)
      : await stage.gate(preview(run, keep), name, input.outputRules);
    results.push({ ...gated, index, status: judged.status, expectedStdoutMatched: judged.matched });
    // A case that took the container with it leaves nothing to run the rest in.
    if (sandbox.channel.closed) break;
  }
  return results;
}

/** The runner's report: the file it wrote (read back by the supervisor) or its stdout, gated per test. */
async function readTestReport(
  stage: StageRunner,
  sandbox: SupervisedSandbox,
  { input, stdout, keys }: { input: TestsInput; stdout: string; keys: ProcessKeys },
): Promise<TestReport> {
  let text: string | null = stdout;
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
  const rules = input.outputRules;
  if (rules) {
    report.cases = await Promise.all(
      report.cases.map(async (c) =>
        c.message ? { ...c, message: await stage.gateText(`tests.${c.name}`, c.message, rules) } : c,
      ),
    );
  }
  return report;
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
