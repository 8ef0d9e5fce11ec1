import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation, patched } from '@temporalio/workflow';
import type { ArtifactScan, ProvisionedSandbox } from '../activities/host';
import type { SourceFile } from '../lib/schemas/common';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { ExecutionError, ProcessResult } from '../lib/schemas/execution-result';
import type { GateResult } from '../lib/schemas/findings';
import type { ExecutionPlan } from '../lib/schemas/policy';
import type { StepResult } from '../lib/schemas/sandbox';
import type { SandboxInput, StepEnvelope, StepRequest } from '../lib/sandbox-input';
import { ErrorType } from '../lib/errors';
import { containerNeeds } from '../lib/container-needs';
import { judgeRun } from '../lib/judge';
import { onHost, orchestration } from './activities';
import { blockedOutcome, preRunGates } from './gates';
import { processOutcome } from './outcomes';
import { compileFailed, compileOnHost, stageCommon } from './stage-requests';
import type { SandboxState } from './sandbox-state';
import { errorMessage } from './execution-state';
import { withholdAll } from '../lib/artifacts';

const FILE_STEP_TIMEOUT_MS = 30_000;

/** Workflow version marker: a code step's code is written by the message that runs it. */
export const CODE_WITH_RUN = 'step-code-with-run';
/** Files whose digests a sandbox keeps between steps (they travel in its history). */
const MAX_KNOWN_FILES = 2000;
/** Workflow version marker: an exec step returns the typed files it wrote and the figures it showed. */
export const STEP_ARTIFACTS = 'sandbox-step-artifacts';

export interface StepContext {
  input: SandboxInput;
  state: SandboxState;
  sandbox: ProvisionedSandbox;
  /** The policy gate's plan for a code step with the policy's default limits, made at creation. */
  plan: ExecutionPlan;
}

/** The host stopped answering during a step: the sandbox is lost with it. */
export class HostLostError extends Error {}

/** A step's result before it has run: it succeeds unless something says otherwise. */
export function newStepResult(sandboxId: string, { stepId, request }: StepEnvelope, index: number): StepResult {
  return {
    stepId,
    sandboxId,
    index,
    kind: request.kind,
    status: 'succeeded',
    startedAt: new Date().toISOString(),
    durationMs: 0,
    process: null,
    gates: [],
    file: null,
    entries: null,
    error: null,
  };
}

/** Runs one step to its result; `hostLost` says the sandbox went with its host during it. */
export async function runStep(
  ctx: StepContext,
  step: StepEnvelope,
  index: number,
  whyCancelled?: () => ExecutionError,
): Promise<{ result: StepResult; hostLost: boolean }> {
  const { stepId, request } = step;
  const started = Date.now();
  const result = newStepResult(ctx.input.sandboxId, step, index);
  let hostLost = false;
  try {
    await runKind(ctx, stepId, request, result);
  } catch (err) {
    hostLost = isHostLoss(err);
    if (whyCancelled && isCancellation(err)) {
      result.status = 'cancelled';
      result.error = whyCancelled();
    } else {
      result.status = request.kind === 'exec' || hostLost ? 'internal_error' : 'runtime_error';
      result.error = hostLost
        ? { type: ErrorType.HostLost, message: `host ${ctx.sandbox.hostId} stopped answering during this step` }
        : stepError(err);
    }
  }
  result.durationMs = Date.now() - started;
  return { result, hostLost };
}

async function runKind(ctx: StepContext, stepId: string, request: StepRequest, result: StepResult): Promise<void> {
  const { input, sandbox } = ctx;
  const files = onHost(sandbox.taskQueue, FILE_STEP_TIMEOUT_MS);
  const at = { executionId: input.sandboxId };
  switch (request.kind) {
    case 'exec':
      return exec(ctx, stepId, request, result);
    case 'write_file': {
      const file: SourceFile = { path: request.path, content: request.contentBase64, encoding: 'base64' };
      if (!(await passGates(ctx, stepId, [file], result))) return;
      const [written] = await files.writeSandboxFiles({ ...at, files: [file] });
      result.file = written!;
      // The client's own file: unchanged by a later step, it is none of that step's artifacts.
      ctx.state.files = [
        ...ctx.state.files.filter((f) => f.name !== written!.path),
        { name: written!.path, sha256: written!.sha256 },
      ];
      return;
    }
    case 'read_file':
      result.file = await files.readSandboxFile({ ...at, path: request.path, maxBytes: input.maxFileBytes });
      return;
    case 'delete_file':
      await files.removeSandboxPath({ ...at, path: request.path, ...(request.recursive ? { recursive: true } : {}) });
      return;
    case 'make_dir':
      await files.makeSandboxDirectory({ ...at, path: request.path });
      return;
    case 'move_path':
      await files.moveSandboxPath({ ...at, path: request.path, destination: request.destination });
      return;
    case 'list_files':
      result.entries = await files.listSandboxDirectory({ ...at, path: request.path });
      return;
  }
}

async function exec(
  ctx: StepContext,
  stepId: string,
  request: Extract<StepRequest, { kind: 'exec' }>,
  result: StepResult,
): Promise<void> {
  const { input, state, sandbox } = ctx;
  const code: SourceFile[] =
    request.code === undefined ? [] : [{ path: input.sourceFile, content: request.code, encoding: 'utf8' }];
  const scanned = request.argv
    ? [{ path: 'command.sh', content: request.argv.join(' '), encoding: 'utf8' as const }]
    : code;
  // The plan made at creation holds unless the step asks for other limits, which the gate must judge.
  const plan =
    request.timeoutMs === undefined
      ? ctx.plan
      : await orchestration().evaluatePolicyGate({ input: stepAsExecution(input, code, request) });
  if (plan.decision === 'block') {
    result.status = 'rejected';
    result.error = { type: 'PolicyViolation', message: plan.reasons.join('; ') };
    return;
  }
  if (!(await passGates(ctx, stepId, scanned, result, plan))) return;

  const common = stageCommon(input.sandboxId, plan, { ...plan.env, ...(request.env ?? {}) });
  // The code rides with the message that first runs it: one host round trip fewer. Histories from
  // before write it in a step of its own.
  const codeWithRun = code.length > 0 && patched(CODE_WITH_RUN);
  if (code.length > 0 && !codeWithRun) {
    await onHost(sandbox.taskQueue, FILE_STEP_TIMEOUT_MS).writeSandboxFiles({ ...at(input), files: code });
  }
  const compiles = plan.compile !== null && code.length > 0;
  if (plan.compile && compiles) {
    const { compile } = plan;
    state.live.stage(stepId, 'compile', 'running');
    const compiled = await compileOnHost({
      taskQueue: sandbox.taskQueue,
      compile,
      common,
      // A compile inside a step must not lower the sandbox's memory.
      runMemoryMb: containerNeeds(ctx.plan).memoryMb,
      live: { scope: stepId, stage: 'compile' },
      ...(codeWithRun ? { files: code } : {}),
    });
    state.live.complete(stepId, 'compile', compiled);
    const [outcome, detail] = processOutcome(compiled, compile.timeoutMs);
    state.live.stage(stepId, 'compile', outcome, detail);
    if (compileFailed(compiled)) {
      result.process = compiled;
      result.status = 'compile_error';
      return;
    }
  }
  const argv = request.argv ?? plan.runCommand!;
  const { timeoutMs, cpuTimeMs } = plan.limits;
  state.live.stage(stepId, 'exec', 'running');
  const runInput = {
    ...common,
    ...(codeWithRun && !compiles ? { files: code } : {}),
    argv,
    ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
    timeoutMs,
    cpuTimeMs,
    live: { scope: stepId, stage: 'exec' },
  };
  // The manifest in the same activity as the process, as an execution's run stage takes it: one
  // host round trip, not two. Histories from before run the process alone.
  const host = onHost(sandbox.taskQueue, timeoutMs);
  let run: ProcessResult;
  let scan: ArtifactScan | null = null;
  if (patched(STEP_ARTIFACTS)) {
    const collect = { submitted: state.files, outputRules: plan.gates.output };
    ({ process: run, artifacts: scan } = await host.runInContainer({ ...runInput, collect }));
  } else {
    run = await host.execInContainer(runInput);
  }
  state.live.complete(stepId, 'exec', run);
  const [outcome, detail] = processOutcome(run, timeoutMs);
  state.live.stage(stepId, 'exec', outcome, detail);
  result.process = run;
  result.status = run.outputBlocked ? 'rejected' : judgeRun(run, undefined, true).status;
  if (run.outputBlocked) result.error = { type: 'OutputBlocked', message: 'the output gate blocked this step' };
  if (scan) stepArtifacts(state, scan, result);
}

/**
 * The typed files this step wrote or changed, through the output gate as an execution's are: the
 * manifest's files against those the last step left, so a chart drawn once is returned once.
 */
function stepArtifacts(state: SandboxState, scan: ArtifactScan, result: StepResult): void {
  // The manifest lists what changed; what it does not list is as the last step left it.
  const listed = new Set(scan.artifacts.map((d) => d.name));
  state.files = [
    ...state.files.filter((f) => !listed.has(f.name)),
    ...scan.artifacts.map(({ name, sha256 }) => ({ name, sha256 })),
  ].slice(-MAX_KNOWN_FILES);
  const typed = scan.typed ?? [];
  const blocked = scan.blocked || result.process?.outputBlocked === true;
  result.artifacts = blocked ? withholdAll(typed) : typed;
  if (scan.blocked && result.status !== 'rejected') {
    result.status = 'rejected';
    result.error = { type: 'OutputBlocked', message: 'the output gate blocked a file this step wrote' };
  }
}

/** The policy's pre-run gates over what a step brings in; false (and the step rejected) on a block. */
async function passGates(
  ctx: StepContext,
  stepId: string,
  files: SourceFile[],
  result: StepResult,
  known?: ExecutionPlan,
): Promise<boolean> {
  const { input, state } = ctx;
  state.live.stage(stepId, 'gates', 'running');
  const results = await checkFiles(input, known ?? ctx.plan, files);
  result.gates = results;
  const blocked = blockedOutcome(results);
  state.live.stage(stepId, 'gates', blocked ? 'failed' : 'succeeded', blocked?.error?.message ?? null);
  if (!blocked) return true;
  result.status = 'rejected';
  result.error = blocked.error ?? null;
  return false;
}

/** The policy's pre-run gates over files a sandbox takes in. Independent: together they cost the slowest. */
export async function checkFiles(input: SandboxInput, plan: ExecutionPlan, files: SourceFile[]): Promise<GateResult[]> {
  const gated = {
    executionId: input.sandboxId,
    language: input.language,
    files,
    entrypoint: input.sourceFile,
    deadlineAt: Date.now() + 10 * 60_000,
  };
  return Promise.all(
    preRunGates(gated, plan)
      .filter(([, on]) => on)
      .map(([, , run]) => run()),
  );
}

/** A step seen by the policy gate as the execution it would be; with no request, a code step at the default limits. */
export function stepAsExecution(
  input: SandboxInput,
  files: SourceFile[],
  request: Extract<StepRequest, { kind: 'exec' }> | null,
): ExecutionInput {
  return {
    executionId: input.sandboxId,
    tenant: input.tenant,
    keyId: input.keyId,
    language: input.language,
    ...(input.version !== undefined ? { version: input.version } : {}),
    ...(input.template ? { template: input.template } : {}),
    policy: input.policy,
    files,
    entrypoint: request === null || request.code !== undefined ? input.sourceFile : null,
    args: [],
    normalizeTrailingWhitespace: true,
    env: input.env,
    limits: request?.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {},
    submittedAt: input.createdAt,
  };
}

function at(input: SandboxInput) {
  return { executionId: input.sandboxId };
}

function isHostLoss(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}

function stepError(err: unknown): StepResult['error'] {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? ErrorType.Internal, message: cause.message };
  return { type: ErrorType.Internal, message: errorMessage(err) };
}
