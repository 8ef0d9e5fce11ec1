/**
 * The answer before teardown, with mocked activities on the run's real dev server: the result
 * update answers once the outcome is decided, and the workflow completes only after teardown.
 */
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { executionResultUpdate } from '../../workflows/messages';
import { okRun, runWithMocks, stageOutcomes, useWorkflowServer } from '../support/mocked-workflow';

useWorkflowServer();

describe('the result before teardown', () => {
  test('the result update answers once the outcome is decided, while teardown still runs', async () => {
    let releaseTeardown!: () => void;
    const teardownHeld = new Promise<void>((resolve) => (releaseTeardown = resolve));
    let teardownStarted!: () => void;
    const inTeardown = new Promise<void>((resolve) => (teardownStarted = resolve));
    let answered: ExecutionResult | undefined;
    const { result } = await runWithMocks({
      teardownContainer: async () => {
        teardownStarted();
        await teardownHeld;
        return { removed: true };
      },
      whileRunning: async (handle) => {
        answered = await handle.executeUpdate(executionResultUpdate, { args: [{}] });
        // The answer came while teardown was held: it cannot have waited for it.
        await inTeardown;
        expect((await handle.describe()).status.name).toBe('RUNNING');
        releaseTeardown();
      },
    });
    expect(answered).toMatchObject({ status: 'succeeded', run: { stdout: okRun.stdout } });
    expect(answered!.finishedAt).toEqual(expect.any(String));
    expect(answered!.seal).toBeUndefined();
    expect(answered!.stages.find((s) => s.name === 'teardown')?.outcome).toBe('pending');
    // The completed workflow's result records teardown, and is sealed; the outcome is the same.
    expect(stageOutcomes(result)).toMatchObject({ run: 'succeeded', teardown: 'succeeded' });
    expect(result.seal).toBeDefined();
    expect(result).toMatchObject({ status: answered!.status, run: answered!.run, finishedAt: answered!.finishedAt });
  });
});
