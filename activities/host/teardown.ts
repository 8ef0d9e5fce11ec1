import { log } from '@temporalio/activity';
import { containerNameFor } from '../../lib/containers';
import { isNotFound } from './docker-errors';
import type { HostActivityDeps, TeardownResult } from './types';

export function createTeardownActivity({ docker }: HostActivityDeps) {
  async function teardownContainer({ executionId }: { executionId: string }): Promise<TeardownResult> {
    try {
      await docker.getContainer(containerNameFor(executionId)).remove({ force: true, v: true });
    } catch (err) {
      if (isNotFound(err)) return { removed: false };
      throw err;
    }
    log.info('sandbox removed', { executionId });
    return { removed: true };
  }
  return { teardownContainer };
}
