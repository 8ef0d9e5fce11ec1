import type Docker from 'dockerode';
import { ApplicationFailure } from '@temporalio/activity';
import type { CaseResult, ProcessResult } from '../../lib/schemas/execution-result';
import { containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { judgeRun } from '../../lib/judge';
import { execProcess } from './exec-process';
import { withHeartbeat } from './heartbeat';
import { ContainerCgroup } from './cgroup-metrics';
import { killStrayProcesses } from './stray-processes';
import { containerCpuSeconds, withCpuLimit } from './stage-limits';
import { buildTestReport } from './test-reports';
import type { CasesInput, CompileInput, ExecInput, HostActivityDeps, TestsInput, TestsOutput } from './types';

const MiB = 1024 * 1024;
/** Output kept per case in history; the comparison itself sees everything up to the output cap. */
const CASES_OUTPUT_BUDGET = 512 * 1024;
const REPORT_READ_LIMIT = 4 * MiB;

/** A running sandbox, looked up by execution id, with what the host can see of it. */
interface Sandbox {
  container: Docker.Container;
  initPid: number;
  cgroup: ContainerCgroup | null;
  cpuSeconds: number | undefined;
}

type StageRun = Omit<ExecInput, 'executionId'> & { signal: AbortSignal };

/** The container activities after provisioning, on the host's own queue. Each stage is one or more execs. */
export function createStageActivities({ docker }: HostActivityDeps) {
  async function openSandbox(executionId: string): Promise<Sandbox> {
    const container = docker.getContainer(containerNameFor(executionId));
    const state = await container.inspect().catch(() => undefined);
    if (!state?.State.Running) {
      throw ApplicationFailure.nonRetryable(
        `sandbox ${containerNameFor(executionId)} is ${state ? state.State.Status : 'gone'}`,
        ErrorType.ContainerGone,
      );
    }
    return {
      container,
      initPid: state.State.Pid,
      cgroup: ContainerCgroup.forPid(state.State.Pid),
      cpuSeconds: containerCpuSeconds(state.HostConfig.Ulimits),
    };
  }

  /**
   * One process in the sandbox. At a limit only the stage's processes are killed (the container is
   * frozen for the sweep) so later stages and cases still have their sandbox; without a view of the
   * cgroup, the container itself is killed. Whatever the process leaves running is killed after it.
   */
  async function runInSandbox(sandbox: Sandbox, run: StageRun): Promise<ProcessResult> {
    const { container, cgroup, initPid } = sandbox;
    const result = await execProcess(container, {
      ...run,
      argv: withCpuLimit(run.argv, run.cpuTimeMs, sandbox.cpuSeconds),
      cgroup,
      ...(cgroup ? { terminate: () => killStrayProcesses(container, initPid, cgroup).then(() => undefined) } : {}),
    });
    if (run.signal.aborted) return result;
    const after = await container.inspect().catch(() => undefined);
    if (!after?.State.Running) {
      // The OOM killer took the container's init: the cgroup went with it, the engine still knows.
      if (after?.State.OOMKilled)
        Object.assign(result, { oomKilled: true, limitExceeded: result.limitExceeded ?? 'memory' });
      return result;
    }
    if (cgroup && result.limitExceeded === null) {
      result.leftoverProcessesKilled = await killStrayProcesses(container, initPid, cgroup);
    }
    return result;
  }

  async function execInContainer(input: ExecInput): Promise<ProcessResult> {
    return withHeartbeat(async (signal) => runInSandbox(await openSandbox(input.executionId), { ...input, signal }));
  }

  /** The compile stage; afterwards the container drops to the run's memory limit. */
  async function compileInContainer(input: CompileInput): Promise<ProcessResult> {
    return withHeartbeat(async (signal) => {
      const sandbox = await openSandbox(input.executionId);
      const result = await runInSandbox(sandbox, { ...input, signal });
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
    return withHeartbeat(async (signal) => {
      const sandbox = await openSandbox(input.executionId);
      const keep = Math.max(4096, Math.floor(CASES_OUTPUT_BUDGET / input.cases.length));
      const results: CaseResult[] = [];
      for (const [index, testCase] of input.cases.entries()) {
        const run = await runInSandbox(sandbox, {
          ...input,
          argv: [...input.argv, ...(testCase.args ?? [])],
          ...(testCase.stdin !== undefined ? { stdin: testCase.stdin } : {}),
          signal,
        });
        if (signal.aborted) break;
        const judged = judgeRun(run, testCase.expectedStdout, input.normalizeTrailingWhitespace);
        results.push({ ...preview(run, keep), index, status: judged.status, expectedStdoutMatched: judged.matched });
        // A case that took the container with it leaves nothing to run the rest in.
        if (!(await sandbox.container.inspect()).State.Running) break;
      }
      return results;
    });
  }

  /** The test stage: the runner, then its report (a file it wrote, or its stdout) parsed into per-test results. */
  async function runTestsInContainer(input: TestsInput): Promise<TestsOutput> {
    return withHeartbeat(async (signal) => {
      const sandbox = await openSandbox(input.executionId);
      const process = await runInSandbox(sandbox, { ...input, signal });
      let text: string | null = process.stdout;
      let missing = 'the runner printed nothing';
      if (input.report.path) {
        missing = `the runner wrote no report at ${input.report.path}`;
        const alive = (await sandbox.container.inspect()).State.Running;
        const read = alive
          ? await execProcess(sandbox.container, {
              argv: ['cat', input.report.path],
              timeoutMs: 10_000,
              outputBytes: REPORT_READ_LIMIT,
            })
          : undefined;
        text = read?.exitCode === 0 ? read.stdout : null;
      }
      return { process, report: buildTestReport(input.report.format, text, missing) };
    });
  }

  return { execInContainer, compileInContainer, runCasesInContainer, runTestsInContainer };
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
