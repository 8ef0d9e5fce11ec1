/**
 * The workflow's own logic with mocked activities, on the run's real dev server: the paths that are
 * hard to reach with real containers (deadline, lost provision results, cancellation while
 * provisioning, failing teardown).
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { containerNameFor } from '../../lib/containers';
import {
  plan,
  runWithMocks,
  runsUntilCancelled,
  FakeEngine,
  stageOutcomes,
  useWorkflowServer,
} from '../support/mocked-workflow';

useWorkflowServer();

describe('execution workflow (mocked activities)', () => {
  test('the happy path tears down exactly once', async () => {
    const { result, teardowns } = await runWithMocks({});
    expect(result.status).toBe('succeeded');
    expect(result.host).toBe('mock-host');
    expect(teardowns).toEqual([result.id]);
  });

  test("the execution's own deadline cancels the running stage, and teardown still runs", async () => {
    const { result, teardowns } = await runWithMocks({
      evaluatePolicyGate: async () => ({ ...plan, budgetMs: 1_500 }),
      execInContainer: runsUntilCancelled,
    });
    expect(result).toMatchObject({
      status: 'time_limit_exceeded',
      timeLimit: 'deadline',
      error: { type: 'DeadlineExceeded' },
    });
    expect(stageOutcomes(result)).toMatchObject({ run: 'cancelled', scan: 'skipped', teardown: 'succeeded' });
    expect(teardowns).toEqual([result.id]);
  });

  test('a provision that never succeeds leaves teardown to the host reapers', async () => {
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async () => {
        throw ApplicationFailure.nonRetryable('image airlock/python:3.13 is not built on this host', 'ImageMissing');
      },
    });
    expect(result).toMatchObject({ status: 'internal_error', error: { type: 'ImageMissing' } });
    expect(stageOutcomes(result)).toMatchObject({ provision: 'failed', run: 'skipped', teardown: 'skipped' });
    expect(result.stages.find((s) => s.name === 'teardown')?.detail).toMatch(/reapers/);
    expect(teardowns).toEqual([]);
  });

  test('a provision whose first result is lost to an error after it made the container: one teardown, by name', async () => {
    const engine = new FakeEngine();
    const attempts: number[] = [];
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async (input, sandbox) => {
        attempts.push(Context.current().info.attempt);
        engine.provision(input);
        // The container exists, but the answer never reaches the workflow.
        if (attempts.length === 1) throw new Error('socket hang up');
        return sandbox;
      },
      teardownContainer: engine.teardown,
    });
    expect(result.status).toBe('succeeded');
    expect(attempts).toEqual([1, 2]);
    expect(engine.made).toEqual([containerNameFor(result.id), containerNameFor(result.id)]);
    expect(teardowns).toEqual([result.id]);
    expect(result.stages.find((s) => s.name === 'teardown')).toMatchObject({
      outcome: 'succeeded',
      detail: 'container removed',
    });
    expect([...engine.names]).toEqual([]);
  });

  test('a provision whose first result arrives after its heartbeat timed out: the retry is used, one teardown', async () => {
    const engine = new FakeEngine();
    const attempts: number[] = [];
    let retrying!: () => void;
    const retried = new Promise<void>((resolve) => (retrying = resolve));
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async (input, sandbox) => {
        const { attempt } = Context.current().info;
        attempts.push(attempt);
        engine.provision(input);
        if (attempt === 1) {
          // Silent past the heartbeat timeout, so the server gives this attempt up; what it
          // returns once the retry has begun reaches nobody.
          await retried;
          return { ...sandbox, hostId: 'lost-attempt', containerId: 'lost' };
        }
        retrying();
        return sandbox;
      },
      teardownContainer: engine.teardown,
    });
    expect(result).toMatchObject({ status: 'succeeded', host: 'mock-host' });
    expect(attempts).toEqual([1, 2]);
    expect(teardowns).toEqual([result.id]);
    expect([...engine.names]).toEqual([]);
  });

  test('cancelled while provisioning: the provision sees it and removes its container; no teardown', async () => {
    const engine = new FakeEngine();
    let provisioning!: () => void;
    const started = new Promise<void>((resolve) => (provisioning = resolve));
    let seen: unknown;
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async (input) => {
        const ctx = Context.current();
        const name = engine.provision(input);
        const beat = setInterval(() => ctx.heartbeat(), 50);
        provisioning();
        try {
          return await ctx.cancelled.catch((err: unknown) => {
            seen = err;
            // As the real activity does: the workflow will never learn of this container.
            engine.remove(name);
            throw err;
          });
        } finally {
          clearInterval(beat);
        }
      },
      whileRunning: async (handle) => {
        await started;
        await handle.cancel();
      },
    });
    expect(seen).toBeInstanceOf(CancelledFailure);
    expect(result).toMatchObject({ status: 'cancelled', host: null, error: null });
    expect(stageOutcomes(result)).toMatchObject({ provision: 'cancelled', run: 'skipped', teardown: 'skipped' });
    expect(result.stages.find((s) => s.name === 'teardown')?.detail).toBe(
      'no host confirmed a container; host reapers remove any',
    );
    expect(teardowns).toEqual([]);
    expect(engine.made).toEqual([containerNameFor(result.id)]);
    expect([...engine.names]).toEqual([]);
  });

  test('a run stage whose container vanished is an internal error, and teardown still runs', async () => {
    const { result, teardowns } = await runWithMocks({
      execInContainer: async () => {
        throw ApplicationFailure.nonRetryable('sandbox airlock-x is gone', 'ContainerGone');
      },
    });
    expect(result).toMatchObject({ status: 'internal_error', error: { type: 'ContainerGone' } });
    expect(teardowns).toEqual([result.id]);
  });

  test('a failing teardown is retried, then recorded as deferred to the reaper', async () => {
    const { result, teardowns } = await runWithMocks({
      teardownContainer: async () => {
        throw new Error('engine busy');
      },
    });
    expect(result.status).toBe('succeeded');
    expect(teardowns).toHaveLength(3);
    expect(result.stages.find((s) => s.name === 'teardown')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/^deferred to the reaper on mock-host/),
    });
  });

  test('a gate that cannot find the policy fails the execution before anything is provisioned', async () => {
    const { result, teardowns } = await runWithMocks({
      evaluatePolicyGate: async () => {
        throw ApplicationFailure.nonRetryable('policy "x" is not loaded', 'UnknownPolicy');
      },
    });
    expect(result).toMatchObject({ status: 'internal_error', error: { type: 'UnknownPolicy' } });
    expect(stageOutcomes(result)).toMatchObject({ gate: 'failed', provision: 'skipped', teardown: 'skipped' });
    expect(teardowns).toEqual([]);
  });
});
