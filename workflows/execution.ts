import {
  CancellationScope,
  allHandlersFinished,
  condition,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProvisionedSandbox } from '../activities/host';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { HOST, STATUS } from '../lib/search-attributes';
import { containerNeeds } from '../lib/container-needs';
import { eventsQuery, executionResultUpdate, executionStateQuery, outputChunkSignal } from './messages';
import { ExecutionState, errorMessage } from './execution-state';
import { orchestration, provisionContainer, sealExecution, teardownOn } from './activities';
import { failureOutcome, type Outcome } from './outcomes';
import { runSandboxStages } from './stages';
import { blockedOutcome, runPreRunGates } from './gates';
import { approvalGate, installApprovalHandler, type PendingApproval } from './approval';
import { holdsLease, releaseLease, waitForLease } from './leases';

/** Workflow version marker: the result carries a signed seal of the execution's record. */
export const SEALED_RESULTS = 'sealed-results';

/** Workflow version marker: the outcome is decided, and answered, before teardown runs. */
export const RESULT_BEFORE_TEARDOWN = 'result-before-teardown';

/**
 * One execution of untrusted code: the policy gate, the pre-run gates (secrets, imports, static
 * analysis) and approval where the policy asks for it, then provision, compile, run, scan with the
 * output gate, test, and teardown, which runs whatever happened before it.
 */
export async function executionWorkflow(input: ExecutionInput): Promise<ExecutionResult> {
  const state = new ExecutionState(input, workflowInfo().workflowId);
  setHandler(executionStateQuery, () => state.result);
  setHandler(eventsQuery, ({ after }) => state.events(after));
  setHandler(outputChunkSignal, (chunk) => state.live.chunk(chunk));
  const root = CancellationScope.current();
  const approvals = installApprovalHandler(state, input);
  let answered: ExecutionResult | undefined;
  // Answered even when the execution is cancelled: the cancelled result is its answer.
  setHandler(executionResultUpdate, async () => {
    await CancellationScope.nonCancellable(() => condition(() => answered !== undefined));
    return answered!;
  });
  const sandbox: Provisioned = { provisioning: false };
  const leased = holdsLease(input.lease);

  let outcome: Outcome;
  try {
    if (leased && input.lease!.queued) await queued(state, input);
    outcome = await stages(state, input, approvals, sandbox);
  } catch (err) {
    outcome = failureOutcome(err, root);
  }
  // The outcome is the result: it is answered now, and teardown follows (it cannot change it).
  const early = patched(RESULT_BEFORE_TEARDOWN);
  if (early) {
    settle(state, outcome);
    // With no container there is nothing to tear down, and the answer says so; else teardown is pending.
    if (!sandbox.provisioned) await teardown(state, input.executionId, undefined, sandbox.provisioning);
    state.skipUnstarted(sandbox.provisioned ? 'teardown' : undefined);
    // Finished as far as its caller is concerned: the outcome cannot change any more.
    state.result.finishedAt = new Date().toISOString();
    // A copy: teardown goes on to change the stages before the answer is sent.
    answered = JSON.parse(JSON.stringify(state.result)) as ExecutionResult;
  }
  if (!early || sandbox.provisioned) {
    await CancellationScope.nonCancellable(() =>
      teardown(state, input.executionId, sandbox.provisioned, sandbox.provisioning),
    );
  }
  if (!early) settle(state, outcome);
  // After teardown: until then the container still holds what the lease counts.
  if (leased) {
    await CancellationScope.nonCancellable(() => releaseLease({ tenant: input.tenant, id: input.executionId }));
  }
  const result = state.close();
  // Sealed whatever happened, cancellation included; histories from before seals replay without.
  if (patched(SEALED_RESULTS)) {
    result.seal = await CancellationScope.nonCancellable(() =>
      sealExecution({ executionId: input.executionId, result }),
    );
  }
  answered ??= result;
  // Lets a result update received at the last moment answer; a cancelled root scope must not end it.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return result;
}

interface Provisioned {
  provisioning: boolean;
  provisioned?: ProvisionedSandbox;
}

/** Everything up to the outcome: the policy gate, the pre-run gates, approval and the sandbox stages. */
async function stages(
  state: ExecutionState,
  input: ExecutionInput,
  approvals: PendingApproval,
  sandbox: Provisioned,
): Promise<Outcome> {
  const plan = await state.track(
    'gate',
    () => orchestration().evaluatePolicyGate({ input }),
    (p) => (p.decision === 'pass' ? ['succeeded'] : ['failed', p.reasons.join('; ')]),
  );
  state.result.policy = plan.policy;
  if (plan.decision === 'block') {
    return {
      status: 'rejected',
      timeLimit: null,
      error: { type: 'PolicyViolation', message: plan.reasons.join('; ') },
    };
  }
  return (
    (await preRun(state, input, plan, approvals)) ??
    (await CancellationScope.withTimeout(plan.budgetMs, async () => {
      sandbox.provisioning = true;
      const provisioned = await state.track('provision', () => provisionContainer(provisionInput(input, plan)));
      sandbox.provisioned = provisioned;
      state.result.host = provisioned.hostId;
      if (provisioned.warm !== undefined) {
        state.stage('provision').detail = provisioned.warm
          ? 'warm container from the pool'
          : 'container made on demand';
      }
      state.result.image = provisioned.image;
      upsertSearchAttributes([{ key: HOST, value: provisioned.hostId }]);
      return runSandboxStages(state, input, plan, provisioned);
    }))
  );
}

/** Over its tenant's quotas: it waits its turn, `queued`, before anything runs. */
async function queued(state: ExecutionState, input: ExecutionInput): Promise<void> {
  state.result.status = 'queued';
  await waitForLease({ tenant: input.tenant, id: input.executionId });
  state.result.status = 'running';
  upsertSearchAttributes([{ key: STATUS, value: 'running' }]);
}

function settle(state: ExecutionState, outcome: Outcome): void {
  state.result.status = outcome.status;
  state.result.timeLimit = outcome.timeLimit;
  state.result.error = outcome.error ?? null;
  upsertSearchAttributes([{ key: STATUS, value: outcome.status }]);
}

/** The pre-run gates and approval; an outcome here ends the execution before anything is provisioned. */
async function preRun(
  state: ExecutionState,
  input: ExecutionInput,
  plan: ExecutionPlan,
  approvals: PendingApproval,
): Promise<Outcome | null> {
  // The scanner's reaper deadline: well past the gates' own timeouts.
  const gates = await runPreRunGates(state, input, plan, Date.now() + 10 * 60_000);
  return blockedOutcome(gates) ?? (await approvalGate(state, plan, gates, approvals));
}

async function teardown(
  state: ExecutionState,
  executionId: string,
  sandbox: ProvisionedSandbox | undefined,
  provisioning: boolean,
): Promise<void> {
  if (!sandbox) {
    // No host answered provisioning: any container it made carries labels its host's reaper acts on.
    if (provisioning) state.endStage('teardown', 'skipped', 'no host confirmed a container; host reapers remove any');
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
    container: containerNeeds(plan),
    sandbox: plan.sandbox,
    deadlineAt: Date.now() + plan.budgetMs,
    files: [...input.files, ...(input.tests?.files ?? [])],
  };
}
