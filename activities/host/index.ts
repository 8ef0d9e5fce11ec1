import type Docker from 'dockerode';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { SourceFile } from '../../lib/schemas/common';
import type { Limits } from '../../lib/schemas/limits';
import type { ImageRef, ProcessResult } from '../../lib/schemas/execution-result';
import { IMAGE_LABELS, WORKSPACE, containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { hostQueue } from '../../lib/task-queues';
import { sandboxContainerSpec } from './container-spec';
import { execProcess } from './exec-process';
import { packFiles } from './workspace-files';
import { withHeartbeat } from './heartbeat';
import { ContainerCgroup } from './cgroup-metrics';
import { killStrayProcesses } from './stray-processes';
import type { LoadedSeccompProfile } from '../../lib/seccomp';
import type { SandboxSettings } from '../../lib/schemas/policy';

export interface HostActivityDeps {
  docker: Docker;
  hostId: string;
  cluster: string;
  seccompProfiles: Map<string, LoadedSeccompProfile>;
  /** OCI runtimes the engine offers (`docker info`). */
  runtimes: Set<string>;
}

export interface ProvisionInput {
  executionId: string;
  image: string;
  limits: Limits;
  sandbox: SandboxSettings;
  /** Epoch ms after which the reaper may remove the container whatever the execution says. */
  deadlineAt: number;
  files: SourceFile[];
}

export interface ProvisionedSandbox {
  hostId: string;
  /** Every later container activity of this execution goes here. */
  taskQueue: string;
  containerId: string;
  image: ImageRef;
}

export interface ExecInput {
  executionId: string;
  argv: string[];
  stdin?: string;
  env: Record<string, string>;
  timeoutMs: number;
  outputBytes: number;
}

export interface TeardownResult {
  /** False when the container was already gone. */
  removed: boolean;
}

const WRITE_FILES_TIMEOUT_MS = 30_000;

/** Activities that drive the local Docker engine. `provisionContainer` runs on the shared hosts queue. */
export function createHostActivities({ docker, hostId, cluster, seccompProfiles, runtimes }: HostActivityDeps) {
  /** The profile the gate chose, byte for byte: a host with a different copy must not guess. */
  function seccompFor({ seccompProfile }: SandboxSettings): string {
    const profile = seccompProfiles.get(seccompProfile.name);
    if (!profile || profile.sha256 !== seccompProfile.sha256) {
      throw ApplicationFailure.nonRetryable(
        `seccomp profile ${seccompProfile.name} (${seccompProfile.sha256.slice(0, 12)}) is ${profile ? 'a different version' : 'missing'} on host ${hostId}`,
        ErrorType.SeccompProfileMismatch,
      );
    }
    return profile.json;
  }

  async function provisionContainer(input: ProvisionInput): Promise<ProvisionedSandbox> {
    const name = containerNameFor(input.executionId);
    try {
      return await provision(input, name);
    } catch (err) {
      // Cancelled mid-way: the workflow will never learn of this container, so remove it here.
      if (Context.current().cancellationSignal.aborted) await removeQuietly(docker, name);
      throw err;
    }
  }

  async function provision(input: ProvisionInput, name: string): Promise<ProvisionedSandbox> {
    return withHeartbeat(async () => {
      const seccompJson = seccompFor(input.sandbox);
      if (!runtimes.has(input.sandbox.runtime)) {
        throw ApplicationFailure.nonRetryable(
          `OCI runtime ${input.sandbox.runtime} is not installed on host ${hostId} (it has ${[...runtimes].join(', ')})`,
          ErrorType.RuntimeUnavailable,
        );
      }
      const image = await resolveImage(docker, input.image);
      // A retry after a lost result finds its own container; anything else with the name is stale.
      await removeQuietly(docker, name);
      const container = await docker.createContainer(
        sandboxContainerSpec({
          name,
          image: image.id,
          limits: input.limits,
          runtime: input.sandbox.runtime,
          seccompJson,
          labels: { cluster, executionId: input.executionId, hostId, deadlineAt: input.deadlineAt },
        }),
      );
      await container.start();
      if (input.files.length > 0) {
        const written = await execProcess(container, {
          argv: ['tar', '-x', '-f', '-', '-C', WORKSPACE],
          stdin: await packFiles(input.files),
          timeoutMs: WRITE_FILES_TIMEOUT_MS,
          outputBytes: 64 * 1024,
        });
        if (written.exitCode !== 0) {
          throw ApplicationFailure.nonRetryable(
            `writing files into the sandbox failed (exit ${written.exitCode}): ${written.stderr.slice(0, 2000)}`,
            ErrorType.Internal,
          );
        }
      }
      log.info('sandbox provisioned', { executionId: input.executionId, container: container.id, image: image.id });
      return { hostId, taskQueue: hostQueue(hostId), containerId: container.id, image };
    });
  }

  async function execInContainer(input: ExecInput): Promise<ProcessResult> {
    return withHeartbeat(async (signal) => {
      const container = docker.getContainer(containerNameFor(input.executionId));
      const state = await container.inspect().catch(() => undefined);
      if (!state?.State.Running) {
        throw ApplicationFailure.nonRetryable(
          `sandbox ${containerNameFor(input.executionId)} is ${state ? state.State.Status : 'gone'}`,
          ErrorType.ContainerGone,
        );
      }
      const cgroup = ContainerCgroup.forPid(state.State.Pid);
      const result = await execProcess(container, { ...input, signal, cgroup });
      if (result.limitExceeded !== null || signal.aborted) return result;
      const after = await container.inspect().catch(() => undefined);
      if (!after?.State.Running) {
        // The OOM killer took the container's init: the cgroup went with it, the engine still knows.
        if (after?.State.OOMKilled) Object.assign(result, { oomKilled: true, limitExceeded: 'memory' });
        return result;
      }
      if (cgroup) result.leftoverProcessesKilled = await killStrayProcesses(container, state.State.Pid, cgroup);
      return result;
    });
  }

  async function teardownContainer({ executionId }: { executionId: string }): Promise<TeardownResult> {
    const container = docker.getContainer(containerNameFor(executionId));
    try {
      await container.remove({ force: true, v: true });
    } catch (err) {
      if (isNotFound(err)) return { removed: false };
      throw err;
    }
    log.info('sandbox removed', { executionId });
    return { removed: true };
  }

  return { provisionContainer, execInContainer, teardownContainer };
}

export type HostActivities = ReturnType<typeof createHostActivities>;

async function resolveImage(docker: Docker, tag: string): Promise<ImageRef> {
  try {
    const info = await docker.getImage(tag).inspect();
    const labels = info.Config?.Labels ?? {};
    return {
      tag,
      id: info.Id,
      definitionSha256: labels[IMAGE_LABELS.definitionSha256] ?? 'unknown',
      runtimeVersion: labels[IMAGE_LABELS.runtimeVersion] ?? 'unknown',
    };
  } catch (err) {
    if (isNotFound(err)) {
      throw ApplicationFailure.nonRetryable(`image ${tag} is not built on this host`, ErrorType.ImageMissing);
    }
    throw err;
  }
}

async function removeQuietly(docker: Docker, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}
