import type { ArtifactScan, ProvisionedSandbox } from '../activities/host';
import { withholdAll } from '../lib/artifacts';
import type { ScanInput } from '../activities/orchestration';
import type { GateResult } from '../lib/schemas/findings';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { CaseResult, ProcessResult } from '../lib/schemas/execution-result';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { LIMIT_VERDICTS } from '../lib/classify';
import { casesOutcome, judgeRun } from '../lib/judge';
import type { StageOutcome } from '../lib/vocabulary';
import { patched } from '@temporalio/workflow';
import { onHost, orchestration } from './activities';
import type { ExecutionState } from './execution-state';
import { processOutcome, type Outcome } from './outcomes';
import { compileFailed, compileOnHost, stageCommon, type StageCommon } from './stage-requests';

const SUCCEEDED: Outcome = { status: 'succeeded', timeLimit: null };

/** Workflow version marker: the run stage returns the workspace's manifest with the program's result. */
export const ARTIFACTS_WITH_RUN = 'artifacts-with-run';

/** What every stage of one execution works with. */
interface StageContext {
  state: ExecutionState;
  input: ExecutionInput;
  plan: ExecutionPlan;
  sandbox: ProvisionedSandbox;
  common: StageCommon;
}

/** What the run leaves the later stages: its outcome, the outputs to scan, and the manifest if it brought one. */
interface RunProducts {
  outcome: Outcome;
  outputs: ScanInput['outputs'];
  artifacts?: ArtifactScan | undefined;
}

/** compile, run (once, or once per case), scan, test: the stages that use the sandbox. */
export async function runSandboxStages(
  state: ExecutionState,
  input: ExecutionInput,
  plan: ExecutionPlan,
  sandbox: ProvisionedSandbox,
): Promise<Outcome> {
  const ctx: StageContext = { state, input, plan, sandbox, common: stageCommon(input.executionId, plan) };
  if (plan.compile) {
    const failed = await compileStage(ctx, plan.compile);
    if (failed) return failed;
  }
  const runCommand = plan.runCommand;
  const ran: RunProducts = !runCommand
    ? { outcome: SUCCEEDED, outputs: [] }
    : input.cases
      ? await runCasesStage(ctx, { cases: input.cases, runCommand })
      : await runStage(ctx, runCommand);
  const artifacts = await scanStage(ctx, ran);
  const afterTests = await runTestStage(ctx, ran.outcome);
  return outputGate(state, afterTests, artifacts);
}

/** The compile stage; a compile that produced no program ends the execution with its message. */
async function compileStage(
  { state, plan, sandbox, common }: StageContext,
  compile: NonNullable<ExecutionPlan['compile']>,
): Promise<Outcome | undefined> {
  const compiled = await state.track(
    'compile',
    () =>
      compileOnHost({
        taskQueue: sandbox.taskQueue,
        compile,
        common,
        runMemoryMb: plan.limits.memoryMb,
        live: { scope: 'compile', stage: 'compile' },
      }).then((r) => state.completeOutput('compile', r)),
    (r) => processOutcome(r, compile.timeoutMs),
  );
  state.result.compile = compiled;
  if (!compileFailed(compiled)) return undefined;
  return {
    status: 'compile_error',
    timeLimit: null,
    error: { type: 'CompileError', message: compileMessage(compiled) },
  };
}

/** Every case in a fresh process of the one program, judged against its expected output. */
async function runCasesStage(
  { state, input, plan, sandbox, common }: StageContext,
  { cases, runCommand }: { cases: NonNullable<ExecutionInput['cases']>; runCommand: string[] },
): Promise<RunProducts> {
  const { limits } = plan;
  const perCase = limits.timeoutMs + 5_000;
  const results = await state.track(
    'run',
    () =>
      onHost(sandbox.taskQueue, perCase * cases.length)
        .runCasesInContainer({
          ...common,
          argv: runCommand,
          cases,
          timeoutMs: limits.timeoutMs,
          cpuTimeMs: limits.cpuTimeMs,
          normalizeTrailingWhitespace: input.normalizeTrailingWhitespace,
        })
        .then((rs) => rs.map((r) => state.completeOutput('run', r, `case.${r.index}`))),
    casesStageOutcome,
  );
  state.result.cases = results;
  return {
    outcome: casesOutcome(results),
    outputs: results.map((c) => ({ name: `case.${c.index}.stdout`, text: c.stdout, ref: c.stdoutRef })),
  };
}

/** The program once, judged if an expected stdout was given; the workspace's manifest comes with it. */
async function runStage(
  { state, input, plan, sandbox, common }: StageContext,
  runCommand: string[],
): Promise<RunProducts> {
  const { limits } = plan;
  const submitted = sandbox.submitted;
  // The manifest comes with the run: one host round trip fewer. Histories from before read it in the scan.
  const collect = submitted !== undefined && patched(ARTIFACTS_WITH_RUN);
  let judged: Outcome = SUCCEEDED;
  let artifacts: ArtifactScan | undefined;
  const run = await state.track(
    'run',
    async () => {
      const runInput = {
        ...common,
        argv: runCommand,
        stdin: input.stdin,
        timeoutMs: limits.timeoutMs,
        cpuTimeMs: limits.cpuTimeMs,
        live: { scope: 'run', stage: 'run' },
        // Judged on the host, on the whole stdout, before a long one is cut to its preview.
        ...(input.expectedStdout === undefined
          ? {}
          : {
              expected: {
                stdout: input.expectedStdout,
                normalizeTrailingWhitespace: input.normalizeTrailingWhitespace,
              },
            }),
      };
      const host = onHost(sandbox.taskQueue, limits.timeoutMs);
      if (!collect) return state.completeOutput('run', await host.execInContainer(runInput));
      const ran = await host.runInContainer({
        ...runInput,
        collect: { submitted: submitted!, outputRules: plan.gates.output },
      });
      artifacts = ran.artifacts ?? undefined;
      return state.completeOutput('run', ran.process);
    },
    (r) => {
      judged = judgeRun(r, input.expectedStdout, input.normalizeTrailingWhitespace);
      return judged.status === 'wrong_answer'
        ? ['failed', 'stdout differs from the expected output']
        : processOutcome(r, limits.timeoutMs);
    },
  );
  state.result.run = run;
  return {
    outcome: judged,
    outputs: [
      { name: 'run.stdout', text: run.stdout, ref: run.stdoutRef },
      { name: 'run.stderr', text: run.stderr, ref: run.stderrRef },
    ],
    artifacts,
  };
}

/** The scan stage: digests of what went in and came out, and the manifest of the files the program wrote. */
async function scanStage({ state, input, plan, sandbox }: StageContext, ran: RunProducts): Promise<ArtifactScan> {
  const files = [...input.files, ...(input.tests?.files ?? [])];
  let produced: ArtifactScan | undefined = ran.artifacts;
  state.result.scan = await state.track('scan', async () => {
    const digests = await orchestration().scanArtifacts({ files, outputs: ran.outputs });
    produced ??= await onHost(sandbox.taskQueue, 30_000).collectArtifacts({
      executionId: input.executionId,
      submitted: digests.files,
      outputRules: plan.gates.output,
    });
    return { ...digests, artifacts: produced.artifacts, artifactsTruncated: produced.truncated };
  });
  if (produced!.typed) state.result.artifacts = produced!.typed;
  return produced!;
}

async function runTestStage({ state, plan, sandbox, common }: StageContext, outcome: Outcome): Promise<Outcome> {
  const { limits } = plan;
  if (!plan.test) return outcome;
  if (outcome.status !== 'succeeded') {
    state.endStage('test', 'skipped', 'the run stage did not succeed');
    return outcome;
  }
  const test = plan.test;
  const { process, report } = await state.track(
    'test',
    () =>
      onHost(sandbox.taskQueue, limits.testTimeoutMs)
        .runTestsInContainer({
          ...common,
          argv: test.argv,
          report: test.report,
          timeoutMs: limits.testTimeoutMs,
          cpuTimeMs: limits.testTimeoutMs,
          live: { scope: 'test', stage: 'test' },
        })
        .then((r) => ({ ...r, process: state.completeOutput('test', r.process) })),
    ({ process: p, report: r }) => {
      const [stageOutcome, detail] = processOutcome(p, limits.testTimeoutMs);
      return [stageOutcome, r.problem ? detail : `${r.passed}/${r.total} passed; ${detail}`];
    },
  );
  state.result.tests = process;
  state.result.testReport = report;
  const failed = process.exitCode !== 0 || process.limitExceeded !== null || report.failed + report.errors > 0;
  return failed ? { status: 'tests_failed', timeLimit: null } : outcome;
}

/** The post-run output gate: what the host redacted in every stage's output and found in the files the program wrote. */
function outputGate(state: ExecutionState, outcome: Outcome, artifacts: ArtifactScan | undefined): Outcome {
  const { result } = state;
  const processes = [result.compile, result.run, result.tests, ...(result.cases ?? [])].filter((p) => p !== null);
  const findings = [...processes.flatMap((p) => p.outputFindings), ...(artifacts?.findings ?? [])];
  const blocked = processes.some((p) => p.outputBlocked) || artifacts?.blocked === true;
  const gate: GateResult = {
    gate: 'output',
    verdict: blocked ? 'block' : findings.length > 0 ? 'warn' : 'pass',
    findings,
    tools: [{ name: 'airlock-output', version: null }],
    error: null,
    note: null,
  };
  state.result.gates = [...state.result.gates, gate];
  if (!blocked) return outcome;
  if (result.artifacts) result.artifacts = withholdAll(result.artifacts);
  return {
    status: 'rejected',
    timeLimit: null,
    error: { type: 'OutputBlocked', message: `the output gate blocked: ${findings.map((f) => f.ruleId).join(', ')}` },
  };
}

function casesStageOutcome(cases: CaseResult[]): [StageOutcome, string] {
  const passed = cases.filter((c) => c.status === 'succeeded').length;
  return [passed === cases.length ? 'succeeded' : 'failed', `${passed}/${cases.length} cases passed`];
}

function compileMessage(compiled: ProcessResult): string {
  const verdict = compiled.limitExceeded && LIMIT_VERDICTS[compiled.limitExceeded].compiler;
  if (verdict) return verdict;
  const output = `${compiled.stderr}${compiled.stdout}`.trim();
  return output.length > 2_000
    ? `${output.slice(0, 2_000)}…`
    : output || `the compiler exited with ${compiled.exitCode}`;
}
