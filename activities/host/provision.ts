import type Docker from 'dockerode';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { ImageRef } from '../../lib/schemas/execution-result';
import type { SandboxSettings } from '../../lib/schemas/policy';
import { IMAGE_LABELS, containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { fileDigests } from '../../lib/node/digest';
import { hostQueue } from '../../lib/task-queues';
import { sandboxContainerSpec } from '../containers/container-spec';
import { LaunchFailed, superviseCapture } from '../supervisor/process';
import { openSupervised } from '../supervisor/sandboxes';
import { packFiles } from './workspace-files';
import { abandonedByServer, withHeartbeat } from './heartbeat';
import { launchWriteFailure } from './write-failure';
import { isNotFound, removeQuietly } from '../containers/docker-errors';
import type { HostActivityDeps, ProfileInput, ProvisionInput, ProvisionedSandbox } from './types';
import type { PoolProfile } from '../containers/warm-pool';

const WRITE_FILES_TIMEOUT_MS = 30_000;

/** This provision attempt, as the owner of the room it holds. */
const attemptOf = () => `attempt-${Context.current().info.attempt}`;

/**
 * What a container is made with, checked against this host: the image it has, the seccomp profile
 * byte for byte, the OCI runtime. Provisioning and the warm pool's prewarming share it.
 */
export function createProfileResolver({
  docker,
  hostId,
  seccompProfiles,
  runtimes,
  supervisor,
}: Pick<HostActivityDeps, 'docker' | 'hostId' | 'seccompProfiles' | 'runtimes' | 'supervisor'>) {
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

  return async function resolveProfile(input: ProfileInput): Promise<{ image: ImageRef; profile: PoolProfile }> {
    const seccompJson = seccompFor(input.sandbox);
    if (!runtimes.has(input.sandbox.runtime)) {
      throw ApplicationFailure.nonRetryable(
        `OCI runtime ${input.sandbox.runtime} is not installed on host ${hostId} (it has ${[...runtimes].join(', ')})`,
        ErrorType.RuntimeUnavailable,
      );
    }
    const image = await resolveImage(docker, input.image);
    const profile = {
      imageTag: input.image,
      image: image.id,
      limits: input.limits,
      container: input.container,
      runtime: input.sandbox.runtime,
      seccompJson,
      supervisor,
    };
    return { image, profile };
  };
}

/** `provisionContainer`, on the shared hosts queue: a hardened container, used once, with the request's files in it. */
export function createProvisionActivity(deps: HostActivityDeps) {
  const { docker, hostId, cluster, pool, hostLedger, sandboxes, admission } = deps;
  const resolveProfile = createProfileResolver(deps);

  /** A warm container from the pool when one is ready, else a fresh one; either way used once. */
  async function containerFor(
    input: ProvisionInput,
    name: string,
    { profile, image }: { profile: PoolProfile; image: ImageRef },
    made: { id?: string },
  ) {
    // A template is one tenant's image: a pool of it would cost the host memory for that tenant
    // alone, and hold the image its owner deletes. Its containers are made on demand.
    const pooled = pool && !image.template ? pool : undefined;
    // Before the claim: a claimed container's labels are the pool's, so the reaper reads its deadline here.
    if (pooled) await hostLedger.recordDeadline(input.executionId, input.deadlineAt);
    const claimed = await pooled?.claim(profile, name);
    if (claimed) return { sandbox: claimed, warm: true };
    const container = await docker.createContainer(
      sandboxContainerSpec({
        ...profile,
        name,
        labels: { cluster, executionId: input.executionId, hostId, deadlineAt: input.deadlineAt },
      }),
    );
    made.id = container.id;
    await container.start();
    return { sandbox: await openSupervised(container), warm: false };
  }

  async function provision(input: ProvisionInput, name: string, made: { id?: string }): Promise<ProvisionedSandbox> {
    return withHeartbeat(async () => {
      const { image, profile } = await resolveProfile(input);
      // Memory is promised, never oversubscribed: this waits for room, or gives the task back.
      await admission?.reserve(
        name,
        { memoryMb: input.container.memoryMb, cpus: input.limits.cpus },
        { signal: Context.current().cancellationSignal, owner: attemptOf() },
      );
      // A retry after a lost result finds its own container; anything else with the name is stale.
      if (Context.current().info.attempt > 1) await removeQuietly(docker, name);
      const { sandbox, warm } = await containerFor(input, name, { profile, image }, made);
      const { container } = sandbox;
      made.id = container.id;
      sandboxes.adopt(name, sandbox);
      // The files go to the supervisor, which writes them as the sandbox user: no exec, no engine round trip.
      const { result: written } = await superviseCapture(sandbox, {
        argv: [],
        files: await packFiles(input.files),
        timeoutMs: WRITE_FILES_TIMEOUT_MS,
        outputBytes: 64 * 1024,
      }).catch((err: unknown) => {
        if (!(err instanceof LaunchFailed)) throw err;
        const { type, message } = launchWriteFailure(err.message, 'the submitted files');
        throw ApplicationFailure.nonRetryable(`writing files into the sandbox failed: ${message}`, type);
      });
      if (written.exitCode !== 0) {
        throw ApplicationFailure.nonRetryable(
          `writing files into the sandbox failed (exit ${written.exitCode}): ${written.stderr.slice(0, 2000)}`,
          ErrorType.Internal,
        );
      }
      log.info('sandbox provisioned', {
        executionId: input.executionId,
        container: container.id,
        image: image.id,
        warm,
      });
      return {
        hostId,
        taskQueue: hostQueue(hostId),
        containerId: container.id,
        image,
        warm,
        submitted: fileDigests(input.files),
      };
    });
  }

  async function provisionContainer(input: ProvisionInput): Promise<ProvisionedSandbox> {
    const name = containerNameFor(input.executionId);
    const made: { id?: string } = {};
    try {
      return await provision(input, name, made);
    } catch (err) {
      // Its room waits for the retry, wherever that runs (unless a retry here took it over); a
      // container left behind is counted again when swept.
      admission?.release(name, attemptOf());
      // Cancelled mid-way: the workflow will never learn of this container, so remove it here. Only
      // what this attempt made: one the server timed out may have a retry on this host using the name.
      const { cancellationSignal } = Context.current();
      if (made.id && cancellationSignal.aborted) await removeQuietly(docker, made.id);
      else if (cancellationSignal.aborted && !abandonedByServer(cancellationSignal)) await removeQuietly(docker, name);
      if (cancellationSignal.aborted) sandboxes.forget(name);
      throw err;
    }
  }

  return { provisionContainer };
}

async function resolveImage(docker: Docker, tag: string): Promise<ImageRef> {
  try {
    const info = await docker.getImage(tag).inspect();
    const labels = info.Config?.Labels ?? {};
    const template = labels[IMAGE_LABELS.template];
    const templateSha256 = labels[IMAGE_LABELS.templateSha256];
    return {
      tag,
      id: info.Id,
      definitionSha256: labels[IMAGE_LABELS.definitionSha256] ?? 'unknown',
      runtimeVersion: labels[IMAGE_LABELS.runtimeVersion] ?? 'unknown',
      ...(template && templateSha256 ? { template: { id: template, sha256: templateSha256 } } : {}),
    };
  } catch (err) {
    if (isNotFound(err)) {
      throw ApplicationFailure.nonRetryable(`image ${tag} is not built on this host`, ErrorType.ImageMissing);
    }
    throw err;
  }
}
