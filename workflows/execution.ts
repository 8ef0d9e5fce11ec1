import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { HostActivities, ProvisionedSandbox } from '../activities/host';
import type { OrchestrationActivities } from '../activities/orchestration';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { ExecutionError, ExecutionResult, ProcessResult } from '../lib/schemas/execution-result';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { classifyRun, type Classification } from '../lib/classify';
import { ErrorType } from '../lib/errors';
import type { StageOutcome } from '../lib/vocabulary';
import { HOSTS_QUEUE } from '../lib/task-queues';
import { HOST, STATUS } from '../lib/search-attributes';
import { executionStateQuery } from './messages';
import { ExecutionState, errorMessage } from './execution-state';

const { evaluatePolicyGate, scanArtifacts } = proxyActivities<OrchestrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

const { provisionContainer } = proxyActivities<HostActivities>({
  taskQueue: HOSTS_QUEUE,
  scheduleToCloseTimeout: '3 minutes',
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: {
    maximumAttempts: 3,
    nonRetryableErrorTypes: [ErrorType.ImageMissing, ErrorType.SeccompProfileMismatch, ErrorType.RuntimeUnavailable],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** A host that stops polling its own queue this long is treated as lost. */
const HOST_LOSS_TIMEOUT_MS = 15_000;

/** Container activities after provisioning, pinned to the sandbox's host. User code runs at most once. */
function onHost(taskQueue: string, stageTimeoutMs: number) {
  return proxyActivities<HostActivities>({
    taskQueue,
    scheduleToStartTimeout: HOST_LOSS_TIMEOUT_MS,
    startToCloseTimeout: stageTimeoutMs + 60_000,
    heartbeatTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

function teardownOn(taskQueue: string) {
  return proxyActivities<HostActivities>({
    taskQueue,
    // A lost host cannot answer; its reaper removes the container when it returns.
    scheduleToStartTimeout: HOST_LOSS_TIMEOUT_MS,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 3 },
  });
}

type Outcome = Classification & { error?: ExecutionError };

/**
 * One execution of untrusted code: policy gate, provision, run, scan, test, then teardown,
 * which runs whatever happened before it.
 */
export async function executionWorkflow(input: ExecutionInput): Promise<ExecutionResult> {
  const state = new ExecutionState(input, workflowInfo().workflowId);
  setHandler(executionStateQuery, () => state.result);
  const root = CancellationScope.current();
  let sandbox: ProvisionedSandbox | undefined;
  let provisioning = false;
  let outcome: Outcome;

  try {
    const plan = await state.track(
      'gate',
      () => evaluatePolicyGate({ input }),
      (p) => (p.decision === 'pass' ? ['succeeded'] : ['failed', p.reasons.join('; ')]),
    );
    state.result.policy = plan.policy;
    if (plan.decision === 'block') {
      outcome = {
        status: 'rejected',
        timeLimit: null,
        error: { type: 'PolicyViolation', message: plan.reasons.join('; ') },
      };
    } else {
      outcome = await CancellationScope.withTimeout(plan.budgetMs, async () => {
        provisioning = true;
        sandbox = await state.track('provision', () => provisionContainer(provisionInput(input, plan)));
        state.result.host = sandbox.hostId;
        state.result.image = sandbox.image;
        upsertSearchAttributes([{ key: HOST, value: sandbox.hostId }]);
        return runStages(state, input, plan, sandbox);
      });
    }
  } catch (err) {
    outcome = failureOutcome(err, root);
  } finally {
    await CancellationScope.nonCancellable(() => teardown(state, input.executionId, sandbox, provisioning));
  }

  state.result.status = outcome.status;
  state.result.timeLimit = outcome.timeLimit;
  state.result.error = outcome.error ?? null;
  upsertSearchAttributes([{ key: STATUS, value: outcome.status }]);
  return state.close();
}

async function runStages(
  state: ExecutionState,
  input: ExecutionInput,
  plan: ExecutionPlan,
  sandbox: ProvisionedSandbox,
): Promise<Outcome> {
  const { limits } = plan;
  const run = await state.track(
    'run',
    () =>
      onHost(sandbox.taskQueue, limits.timeoutMs).execInContainer({
        executionId: input.executionId,
        argv: plan.runCommand,
        stdin: input.stdin,
        env: plan.env,
        timeoutMs: limits.timeoutMs,
        outputBytes: limits.outputBytes,
      }),
    (r) => processOutcome(r, limits.timeoutMs),
  );
  state.result.run = run;

  state.result.scan = await state.track('scan', () =>
    scanArtifacts({
      files: [...input.files, ...(input.tests?.files ?? [])],
      outputs: [
        { name: 'run.stdout', text: run.stdout },
        { name: 'run.stderr', text: run.stderr },
      ],
    }),
  );

  const classification = classifyRun(run);
  if (plan.testCommand === null || classification.status !== 'succeeded') {
    if (plan.testCommand !== null) state.finish('test', 'skipped', 'the run stage did not succeed');
    return classification;
  }
  const testCommand = plan.testCommand;
  const tests = await state.track(
    'test',
    () =>
      onHost(sandbox.taskQueue, limits.testTimeoutMs).execInContainer({
        executionId: input.executionId,
        argv: testCommand,
        env: plan.env,
        timeoutMs: limits.testTimeoutMs,
        outputBytes: limits.outputBytes,
      }),
    (r) => processOutcome(r, limits.testTimeoutMs),
  );
  state.result.tests = tests;
  return tests.exitCode === 0 && tests.limitExceeded === null
    ? classification
    : { status: 'tests_failed', timeLimit: null };
}

async function teardown(
  state: ExecutionState,
  executionId: string,
  sandbox: ProvisionedSandbox | undefined,
  provisioning: boolean,
): Promise<void> {
  if (!sandbox) {
    // No host answered provisioning: any container it made carries labels its host's reaper acts on.
    if (provisioning) state.finish('teardown', 'skipped', 'no host confirmed a container; host reapers remove any');
    return;
  }
  try {
    const { removed } = await state.track('teardown', () =>
      teardownOn(sandbox.taskQueue).teardownContainer({ executionId }),
    );
    state.stage('teardown').detail = removed ? 'container removed' : 'container was already gone';
  } catch (err) {
    state.stage('teardown').detail = `deferred to the reaper on ${sandbox.hostId}: ${errorMessage(err)}`;
  }
}

function provisionInput(input: ExecutionInput, plan: ExecutionPlan) {
  return {
    executionId: input.executionId,
    image: plan.runtime.image,
    limits: plan.limits,
    sandbox: plan.sandbox,
    deadlineAt: Date.now() + plan.budgetMs,
    files: [...input.files, ...(input.tests?.files ?? [])],
  };
}

function processOutcome(result: ProcessResult, timeoutMs: number): [StageOutcome, string] {
  if (result.limitExceeded === 'wall') return ['failed', `killed at the ${timeoutMs} ms wall-clock limit`];
  if (result.limitExceeded === 'output') return ['failed', 'killed at the output limit'];
  if (result.signal) return ['failed', `killed by ${result.signal}`];
  return result.exitCode === 0 ? ['succeeded', 'exit code 0'] : ['failed', `exit code ${result.exitCode}`];
}

function failureOutcome(err: unknown, root: CancellationScope): Outcome {
  if (isCancellation(err)) {
    return root.consideredCancelled
      ? { status: 'cancelled', timeLimit: null }
      : {
          status: 'time_limit_exceeded',
          timeLimit: 'deadline',
          error: { type: 'DeadlineExceeded', message: 'the execution ran past its deadline' },
        };
  }
  return { status: 'internal_error', timeLimit: null, error: describeFailure(err) };
}

function describeFailure(err: unknown): ExecutionError {
  if (err instanceof ActivityFailure) {
    if (err.cause instanceof TimeoutFailure) {
      const hostLost = err.activityType !== 'provisionContainer';
      return {
        type: hostLost ? ErrorType.HostLost : ErrorType.NoHost,
        message: hostLost
          ? `the host stopped answering during ${err.activityType} (${err.cause.timeoutType} timeout)`
          : `no host provisioned a sandbox in time (${err.cause.timeoutType} timeout)`,
      };
    }
    if (err.cause instanceof ApplicationFailure) {
      return { type: err.cause.type ?? ErrorType.Internal, message: err.cause.message };
    }
  }
  return { type: ErrorType.Internal, message: errorMessage(err) };
}
