import type Docker from 'dockerode';
import { LABELS } from '../../lib/containers';

export async function containersWithLabels(docker: Docker, labels: string[]): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: labels } });
}

export async function containersOf(docker: Docker, executionId: string): Promise<Docker.ContainerInfo[]> {
  return containersWithLabels(docker, [`${LABELS.execution}=${executionId}`]);
}

export async function removeContainers(docker: Docker, labels: string[]): Promise<void> {
  for (const c of await containersWithLabels(docker, labels)) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** Polls until `check` holds, failing with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
