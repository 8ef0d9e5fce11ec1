import type Docker from 'dockerode';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { ImageRef } from '../../lib/schemas/execution-result';
import type { SandboxSettings } from '../../lib/schemas/policy';
import { IMAGE_LABELS, WORKSPACE, containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { hostQueue } from '../../lib/task-queues';
import { sandboxContainerSpec } from './container-spec';
import { execProcess } from './exec-process';
import { packFiles } from './workspace-files';
import { withHeartbeat } from './heartbeat';
import { isNotFound, removeQuietly } from './docker-errors';
import type { HostActivityDeps, ProvisionInput, ProvisionedSandbox } from './types';

const WRITE_FILES_TIMEOUT_MS = 30_000;

/** `provisionContainer`, on the shared hosts queue: a fresh, hardened container with the request's files in it. */
export function createProvisionActivity({ docker, hostId, cluster, seccompProfiles, runtimes }: HostActivityDeps) {
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
          container: input.container,
          runtime: input.sandbox.runtime,
          seccompJson,
          labels: { cluster, executionId: input.executionId, hostId, deadlineAt: input.deadlineAt },
        }),
      );
      await container.start();
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
      log.info('sandbox provisioned', { executionId: input.executionId, container: container.id, image: image.id });
      return { hostId, taskQueue: hostQueue(hostId), containerId: container.id, image };
    });
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

  return { provisionContainer };
}

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
