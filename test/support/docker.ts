import { installSupervisor } from '../../activities/supervisor/install';
import { loadConfig } from '../../lib/node/config';
import type Docker from 'dockerode';
import { LABELS, containerNameFor } from '../../lib/containers';

export async function containersWithLabels(docker: Docker, labels: string[]): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: labels } });
}

/** An execution's containers: made for it (labelled with it), or claimed from a warm pool (named for it). */
export async function containersOf(docker: Docker, executionId: string): Promise<Docker.ContainerInfo[]> {
  const name = containerNameFor(executionId);
  const [labelled, named] = await Promise.all([
    containersWithLabels(docker, [`${LABELS.execution}=${executionId}`]),
    docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } }),
  ]);
  const byId = new Map([...labelled, ...named].map((c) => [c.Id, c]));
  return [...byId.values()];
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

/** The supervisor as a host worker installs it: the path sandbox containers mount. */
export function testSupervisor(): Promise<string> {
  return installSupervisor(loadConfig().supervisorDir);
}
