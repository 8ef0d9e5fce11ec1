import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExecutionPlan } from '../lib/schemas/policy';
import type { SandboxInfo, StepResult } from '../lib/schemas/sandbox';
import { stepProblem, type SandboxInput, type StepEnvelope } from '../lib/sandbox-input';
import { containerNeeds } from '../lib/container-needs';
import { ErrorType } from '../lib/errors';
import { HOST, STATUS } from '../lib/search-attributes';
import { onHost, orchestration, provisionContainer, teardownOn } from './activities';
import {
  closeSandboxUpdate,
  eventsQuery,
  outputChunkSignal,
  sandboxReadyUpdate,
  sandboxStateQuery,
  sandboxStepUpdate,
  sandboxStepsQuery,
  cancelSandboxStepUpdate,
  setSandboxTimeoutUpdate,
} from './messages';
import { SandboxState } from './sandbox-state';
import { HostLostError, checkFiles, newStepResult, runStep, stepAsExecution, type StepContext } from './sandbox-steps';
import { blockedOutcome } from './gates';
import { errorMessage } from './execution-state';
import { holdsLease, releaseLease } from './leases';

/** Workflow version marker: a running step is cancelled at the sandbox's lifetime or on its close. */
export const STEPS_BOUNDED = 'steps-bounded-by-lifetime';

/** How often an idle sandbox checks that its host and container are still there. */
const PROBE_INTERVAL_MS = 30_000;
/** Slack past the maximum lifetime before the reaper may remove the container on its own. */
const REAPER_GRACE_MS = 5 * 60_000;

/**
 * One interactive sandbox: a container pinned to one host, and a queue of steps (updates) run
 * one at a time. It ends on close, on the idle timeout, at its maximum lifetime, or with its host;
 * teardown runs whichever way. It continues as new when history grows, taking the container along.
 */
export async function sandboxWorkflow(input: SandboxInput): Promise<SandboxInfo> {
  const state = new SandboxState(input);
  let plan = input.carried?.plan;
  installHandlers(state, input);
  installStepControl(state, input);

  let carryOn = false;
  try {
    if (!state.sandbox) {
      plan = await start(state, input);
    }
    if (state.sandbox && !state.ended) {
      upsertSearchAttributes([{ key: STATUS, value: state.info.status }]);
      carryOn = (await serve({ input, state, sandbox: state.sandbox, plan: plan! })) === 'continue';
    }
  } catch (err) {
    if (isCancellation(err)) state.end('closed', 'closed', 'the sandbox workflow was cancelled');
    else if (err instanceof HostLostError) state.end('lost', 'host_lost', err.message);
    else state.end('failed', 'provision_failed', errorMessage(err));
  } finally {
    // The container goes on with the next run; every other way out tears it down.
    if (!carryOn) {
      await CancellationScope.nonCancellable(async () => {
        await teardown(state, input);
        if (holdsLease(input.lease)) await releaseLease({ tenant: input.tenant, id: input.sandboxId });
      });
      state.markTornDown();
    }
  }
  if (carryOn) {
    return await continueAsNew<typeof sandboxWorkflow>({
      ...input,
      files: [],
      carried: state.carry(state.sandbox!, plan),
    });
  }
  upsertSearchAttributes([{ key: STATUS, value: state.info.status }]);
  // Steps that were waiting when it ended: their updates answer that the sandbox is gone.
  await condition(allHandlersFinished);
  return state.info;
}

/** The policy gate, the gates over the initial files, then a container. Undefined when it never became ready. */
async function start(state: SandboxState, input: SandboxInput): Promise<ExecutionPlan | undefined> {
  const plan = await orchestration().evaluatePolicyGate({ input: stepAsExecution(input, input.files, null) });
  if (plan.decision === 'block') {
    state.end('failed', 'rejected', plan.reasons.join('; '));
    return undefined;
  }
  const gates = input.files.length > 0 ? await checkFiles(input, plan, input.files) : [];
  const blocked = blockedOutcome(gates);
  if (blocked) {
    state.end('failed', 'rejected', blocked.error?.message ?? 'a gate blocked the initial files');
    return undefined;
  }
  const sandbox = await provisionContainer({
    executionId: input.sandboxId,
    image: plan.runtime.image,
    limits: plan.limits,
    container: { memoryMb: containerNeeds(plan).memoryMb, cpuTimeMs: input.maxStepTimeoutMs },
    sandbox: plan.sandbox,
    deadlineAt: Date.parse(input.createdAt) + input.maxLifetimeMs + REAPER_GRACE_MS,
    files: input.files,
  });
  state.ready(sandbox);
  // The initial files, as written: unchanged, they are no step's artifacts.
  state.files = (sandbox.submitted ?? []).map(({ name, sha256 }) => ({ name, sha256 }));
  upsertSearchAttributes([{ key: HOST, value: sandbox.hostId }]);
  return plan;
}

/** Runs steps as they come until the sandbox should end, or should continue as new. */
async function serve(ctx: StepContext): Promise<'ended' | 'continue'> {
  const { state } = ctx;
  let nextProbe = Date.now() + PROBE_INTERVAL_MS;
  let stepsThisRun = 0;
  for (;;) {
    if (state.closeRequested) {
      state.end('closed', 'closed', 'closed by the client');
      return 'ended';
    }
    const step = state.queue.shift();
    if (step) {
      state.running = step.stepId;
      state.runningStep = { ...step, startedAt: new Date().toISOString() };
      state.info.status = 'busy';
      state.touch();
      const { result, hostLost } = await runBounded(ctx, step, state.info.steps + 1);
      state.recordStep(result);
      stepsThisRun += 1;
      state.running = null;
      state.runningStep = null;
      state.cancelledByClient = null;
      if (hostLost) throw new HostLostError(`host ${ctx.sandbox.hostId} stopped answering during step ${step.stepId}`);
      state.info.status = 'ready';
      state.touch();
      continue;
    }
    const now = Date.now();
    if (now >= state.lifetimeDeadline) {
      state.end('closed', 'max_lifetime', `reached its maximum lifetime of ${state.info.maxLifetimeSeconds} s`);
      return 'ended';
    }
    if (now >= state.idleDeadline) {
      state.end('closed', 'idle_timeout', `no step for ${state.info.idleTimeoutSeconds} s`);
      return 'ended';
    }
    // No await between this check and continuing as new: no step can slip in and be dropped.
    const due = workflowInfo().continueAsNewSuggested || stepsThisRun >= ctx.input.stepsPerRun;
    if (due && allHandlersFinished()) return 'continue';
    if (now >= nextProbe) {
      await probe(ctx);
      if (state.ended) return 'ended';
      nextProbe = Date.now() + PROBE_INTERVAL_MS;
      continue;
    }
    const wake = Math.min(state.lifetimeDeadline, state.idleDeadline, nextProbe);
    state.rescheduled = false;
    // A step's update handler finishes just after the step: wake for that too when a new run is due.
    // A new idle timeout wakes it too, to wait for the new deadline.
    await condition(
      () => state.queue.length > 0 || state.closeRequested || state.rescheduled || (due && allHandlersFinished()),
      Math.max(1, wake - now),
    );
  }
}

/**
 * One step, cancelled should the sandbox reach its maximum lifetime or be closed while it runs: a
 * client that keeps the queue full cannot run past the lifetime, and a close does not wait for a
 * long step. Histories from before ran each step to its end.
 */
async function runBounded(ctx: StepContext, step: StepEnvelope, index: number) {
  const { state } = ctx;
  if (!patched(STEPS_BOUNDED)) return runStep(ctx, step, index);
  const scope = new CancellationScope({ cancellable: true, timeout: Math.max(1, state.lifetimeDeadline - Date.now()) });
  state.stopRunning = () => scope.cancel();
  try {
    return await scope.run(() =>
      runStep(ctx, step, index, () => {
        if (state.cancelledByClient === step.stepId) {
          return { type: ErrorType.StepCancelled, message: 'cancelled by its client while it ran' };
        }
        return {
          type: ErrorType.SandboxEnded,
          message: state.closeRequested
            ? 'the sandbox was closed while this step ran'
            : `the sandbox reached its maximum lifetime of ${state.info.maxLifetimeSeconds} s while this step ran`,
        };
      }),
    );
  } finally {
    state.stopRunning = undefined;
  }
}

/** An idle sandbox's check on its host and container: a lost host ends it `lost`. */
async function probe(ctx: StepContext): Promise<void> {
  try {
    const { running, detail } = await onHost(ctx.sandbox.taskQueue, 10_000).probeContainer({
      executionId: ctx.input.sandboxId,
    });
    if (!running) ctx.state.end('closed', 'container_exited', `the container stopped: ${detail}`);
  } catch (err) {
    if (!(err instanceof ActivityFailure && err.cause instanceof TimeoutFailure)) return; // ask again later
    ctx.state.end('lost', 'host_lost', `host ${ctx.sandbox.hostId} stopped answering: ${errorMessage(err)}`);
  }
}

async function teardown(state: SandboxState, input: SandboxInput): Promise<void> {
  if (!state.sandbox) return;
  if (state.info.end?.reason === 'host_lost') return; // its host's reaper removes the container when it returns
  try {
    await teardownOn(state.sandbox.taskQueue).teardownContainer({ executionId: input.sandboxId });
  } catch {
    // Unreachable host: the reaper removes containers whose workflow has closed.
  }
}

function installHandlers(state: SandboxState, input: SandboxInput): void {
  setHandler(sandboxStateQuery, () => state.info);
  setHandler(eventsQuery, ({ after, scope }) => (scope ? state.events(scope, after) : state.live.after(after)));
  setHandler(outputChunkSignal, (chunk) => state.live.chunk(chunk));
  setHandler(sandboxReadyUpdate, async () => {
    await condition(() => state.info.status !== 'starting');
    return state.info;
  });
  setHandler(closeSandboxUpdate, async () => {
    state.closeRequested = true;
    state.stopRunning?.();
    await condition(() => state.tornDown);
    return state.info;
  });
  setHandler(
    setSandboxTimeoutUpdate,
    ({ idleTimeoutSeconds }) => {
      state.setIdleTimeout(idleTimeoutSeconds);
      return state.info;
    },
    {
      validator: (request) => {
        if (state.ended || state.closeRequested) {
          throw ApplicationFailure.nonRetryable(`sandbox ${input.sandboxId} has ended`, ErrorType.SandboxEnded);
        }
        const seconds = request?.idleTimeoutSeconds;
        if (!Number.isInteger(seconds) || seconds < 10 || seconds > 86_400) {
          throw ApplicationFailure.nonRetryable(
            'idleTimeoutSeconds must be an integer from 10 to 86400',
            ErrorType.InvalidStep,
          );
        }
      },
    },
  );
  setHandler(
    sandboxStepUpdate,
    async (step: StepEnvelope): Promise<StepResult> => {
      if (!state.knows(step.stepId)) state.queue.push(step);
      await condition(() => state.completed.has(step.stepId) || (state.ended && state.running !== step.stepId));
      const result = state.completed.get(step.stepId);
      if (result) return result;
      throw ApplicationFailure.nonRetryable(
        `sandbox ${input.sandboxId} ended before the step ran`,
        ErrorType.SandboxEnded,
      );
    },
    {
      validator: (step: StepEnvelope) => {
        if (state.completed.has(step?.stepId) || state.running === step?.stepId) return; // a retry: answer it
        if (state.ended || state.closeRequested) {
          throw ApplicationFailure.nonRetryable(`sandbox ${input.sandboxId} has ended`, ErrorType.SandboxEnded);
        }
        const problem = stepProblem(step, { maxFileBytes: input.maxFileBytes });
        if (problem) throw ApplicationFailure.nonRetryable(problem, ErrorType.InvalidStep);
        // Refused before history, so a client that floods the queue fills neither it nor the history.
        if (input.maxQueuedSteps !== undefined && state.queue.length >= input.maxQueuedSteps) {
          throw ApplicationFailure.create({
            message: `sandbox ${input.sandboxId} has ${state.queue.length} steps waiting, its tenant's quota`,
            type: ErrorType.StepQueueFull,
            nonRetryable: true,
            details: [{ limit: input.maxQueuedSteps }],
          });
        }
      },
    },
  );
}

/** What runs and waits, and cancelling one step: its client's kill, not the sandbox's end. */
function installStepControl(state: SandboxState, input: SandboxInput): void {
  setHandler(sandboxStepsQuery, () => ({ running: state.runningStep, queued: [...state.queue] }));
  setHandler(
    cancelSandboxStepUpdate,
    async ({ stepId }) => {
      const waiting = state.queue.findIndex((s) => s.stepId === stepId);
      if (waiting >= 0) {
        const [step] = state.queue.splice(waiting, 1);
        // The running step took the next index when it started; it is recorded when it ends.
        const index = state.info.steps + (state.running ? 2 : 1);
        const result = newStepResult(input.sandboxId, step!, index);
        result.status = 'cancelled';
        result.error = { type: ErrorType.StepCancelled, message: 'cancelled by its client before it ran' };
        state.recordStep(result);
        return { cancelled: true };
      }
      // Histories from before steps could be stopped have nothing to stop them with.
      if (state.running !== stepId || !state.stopRunning) return { cancelled: false };
      state.cancelledByClient = stepId;
      state.stopRunning();
      await condition(() => state.completed.has(stepId));
      return { cancelled: true };
    },
    {
      validator: (request) => {
        if (typeof request?.stepId !== 'string' || request.stepId.length === 0) {
          throw ApplicationFailure.nonRetryable('stepId is required', ErrorType.InvalidStep);
        }
      },
    },
  );
}
