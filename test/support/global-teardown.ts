import Docker from 'dockerode';
import { LABELS } from '../../lib/containers';
import { killDevServer } from './temporal-server';
import { readTestEnv, TEST_CLUSTER } from './test-env';
import { removeContainers } from './docker';

export default async function globalTeardown(): Promise<void> {
  const { server } = readTestEnv();
  await killDevServer(server, 'SIGTERM').catch(() => killDevServer(server, 'SIGKILL'));
  await removeContainers(new Docker(), [`${LABELS.cluster}=${TEST_CLUSTER}`]);
}
