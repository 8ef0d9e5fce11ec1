import { log } from '@temporalio/activity';
import { containerNameFor } from '../../lib/containers';
import { isNotFound } from '../containers/docker-errors';
import type { HostActivityDeps, TeardownResult } from './types';

export function createTeardownActivity({ docker, hostLedger, sandboxes, admission }: HostActivityDeps) {
  async function teardownContainer({ executionId }: { executionId: string }): Promise<TeardownResult> {
    const name = containerNameFor(executionId);
    sandboxes.forget(name);
    try {
      await docker.getContainer(name).remove({ force: true, v: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      admission?.release(name);
      await hostLedger.forget(executionId);
      return { removed: false };
    }
    admission?.release(name);
    await hostLedger.forget(executionId);
    log.info('sandbox removed', { executionId });
    return { removed: true };
  }
  /** Whether a long-lived sandbox's container still runs; its workflow asks while it waits for steps. */
  async function probeContainer({
    executionId,
  }: {
    executionId: string;
  }): Promise<{ running: boolean; detail: string }> {
    try {
      const { State } = await docker.getContainer(containerNameFor(executionId)).inspect();
      const detail = State.OOMKilled
        ? 'killed by the out-of-memory killer'
        : `${State.Status}, exit code ${State.ExitCode}`;
      return { running: State.Running, detail };
    } catch (err) {
      if (isNotFound(err)) return { running: false, detail: 'the container is gone' };
      throw err;
    }
  }

  return { teardownContainer, probeContainer };
}
