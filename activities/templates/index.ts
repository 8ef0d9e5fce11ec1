/**
 * Template builds: a runtime image plus what a tenant's spec adds, built in four steps (fetch with
 * a network and trusted tools only; install and setup in a container with none; hardening from the
 * host; a check as the sandbox user), committed as a layer on the runtime's image.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../../lib/errors';
import { IMAGE_LABELS } from '../../lib/containers';
import type { OutputStore } from '../../lib/node/output-store';
import type { RuntimeCatalog } from '../../lib/node/runtimes';
import type { OutputRef } from '../../lib/schemas/execution-result';
import type { ParsedTemplateSpec, TemplateInfo } from '../../lib/schemas/template';
import { hostQueue } from '../../lib/task-queues';
import type { LiveOutputSink } from '../supervisor/live-output';
import { BuildLog } from './build-log';
import { fetchPackages } from './fetch';
import { imageConfig, installInContainer, removeContainer } from './install';
import { containerLayer, hardenLayer } from './harden-layer';
import { checkImage } from './check';

export interface TemplateLimits {
  /** The whole build, fetch to check. */
  timeoutMs: number;
  /** What the template may add to its runtime's image. */
  maxBytes: number;
  /** The install container's memory. */
  memoryMb: number;
}

export interface TemplateActivityDeps {
  docker: Docker;
  hostId: string;
  runtimes: RuntimeCatalog;
  /** Where build logs are kept, for as long as their template. */
  logStore: OutputStore;
  /** This host's scratch folder for builds. */
  buildDir: string;
  /** The pinned pip wheel (lib/node/pip.ts). */
  pipWheel: () => Promise<string>;
  limits: TemplateLimits;
  liveOutput?: LiveOutputSink;
}

export interface BuildTemplateInput {
  workflowId: string;
  templateId: string;
  tenant: string;
  sha256: string;
  spec: ParsedTemplateSpec;
  runtime: TemplateInfo['runtime'];
  /** The tag to build it as. */
  image: string;
}

export interface BuiltTemplate {
  image: string;
  imageId: string;
  sizeBytes: number;
  installed: NonNullable<TemplateInfo['installed']>;
  log: OutputRef;
  /** The host that has the image: where it is removed from. */
  taskQueue: string;
}

/** The failure's details: what the workflow records for a failed build. */
export interface BuildFailureDetails {
  logTail: string;
  log: OutputRef | null;
}

const HEARTBEAT_MS = 5_000;

export function createTemplateActivities(deps: TemplateActivityDeps) {
  return {
    async buildTemplate(input: BuildTemplateInput): Promise<BuiltTemplate> {
      const sink = deps.liveOutput;
      const log = new BuildLog(sink ? (chunk) => sink(input.workflowId, chunk) : undefined);
      const beat = setInterval(() => Context.current().heartbeat(), HEARTBEAT_MS);
      const dir = path.join(deps.buildDir, `${input.templateId}-${crypto.randomUUID().slice(0, 8)}`);
      const names = { install: `airlock-template-build-${input.sha256.slice(0, 24)}`, check: '' };
      names.check = `${names.install}-check`;
      try {
        const built = await build({ deps, input, log, dir, names });
        log.write(`built ${input.image} (${built.sizeBytes} bytes over ${input.runtime.image})\n`);
        await log.close();
        return { ...built, log: await deps.logStore.put(log.contents()) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log.write(`\nthe build failed: ${message}\n`);
        await log.close();
        const stored = await deps.logStore.put(log.contents()).catch(() => null);
        await deps.docker
          .getImage(input.image)
          .remove()
          .catch(() => undefined);
        const details: BuildFailureDetails = { logTail: log.tail(), log: stored };
        throw ApplicationFailure.create({
          message,
          type: ErrorType.TemplateBuildFailed,
          nonRetryable: true,
          details: [details],
        });
      } finally {
        clearInterval(beat);
        await removeContainer(deps.docker, names.install);
        await removeContainer(deps.docker, names.check);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },

    /** Removes a deleted template's image; false when the engine refuses (a container still uses it). */
    async removeTemplateImage({ image }: { image: string }): Promise<{ removed: boolean }> {
      try {
        await deps.docker.getImage(image).remove();
        return { removed: true };
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) return { removed: true };
        if (status === 409) return { removed: false };
        throw err;
      }
    },
  };
}

export type TemplateActivities = ReturnType<typeof createTemplateActivities>;

interface BuildContext {
  deps: TemplateActivityDeps;
  input: BuildTemplateInput;
  log: BuildLog;
  dir: string;
  names: { install: string; check: string };
}

async function build({ deps, input, log, dir, names }: BuildContext): Promise<Omit<BuiltTemplate, 'log'>> {
  const { docker, limits } = deps;
  const { spec } = input;
  const deadlineAt = Date.now() + limits.timeoutMs;
  const runtime = deps.runtimes.get(input.runtime.language, input.runtime.version);
  if (!runtime) throw new Error(`${input.runtime.language} ${input.runtime.version} has no runtime on this host`);
  const base = await docker
    .getImage(input.runtime.image)
    .inspect()
    .catch(() => {
      throw new Error(`the runtime image ${input.runtime.image} is not built on this host`);
    });

  log.begin('fetch');
  const pipWheel = spec.pip.length > 0 ? await deps.pipWheel() : undefined;
  const fetched = await fetchPackages({
    docker,
    log,
    baseImage: input.runtime.image,
    debian: spec.debian,
    pip: spec.pip,
    pipWheel,
    dir,
    signal: AbortSignal.timeout(Math.max(1, deadlineAt - Date.now())),
  });
  const inDir = path.join(dir, 'in');
  if (pipWheel) fs.copyFileSync(pipWheel, path.join(inDir, 'pip.whl'));
  if (spec.setup !== undefined) fs.writeFileSync(path.join(inDir, 'setup.sh'), spec.setup);

  log.begin('install');
  const labels = {
    ...base.Config.Labels,
    [IMAGE_LABELS.template]: input.templateId,
    [IMAGE_LABELS.templateSha256]: input.sha256,
    [IMAGE_LABELS.templateTenant]: input.tenant,
  };
  const container = await installInContainer({
    docker,
    log,
    baseImage: input.runtime.image,
    spec,
    inDir,
    hasDebs: fetched.debs.length > 0,
    hasWheels: fetched.wheels.length > 0,
    name: names.install,
    labels,
    deadlineAt,
    memoryMb: limits.memoryMb,
  });

  log.begin('harden');
  hardenLayer(await containerLayer(container), log);

  log.begin('commit');
  const [repo, tag] = input.image.split(':') as [string, string];
  const committed = (await container.commit({
    repo,
    tag,
    comment: `Airlock template ${input.templateId}`,
    changes: imageConfig(base),
  })) as { Id: string };
  await removeContainer(docker, names.install);
  const image = await docker.getImage(input.image).inspect();
  const sizeBytes = Math.max(0, image.Size - base.Size);
  log.write(`${input.image}: ${committed.Id}, ${sizeBytes} bytes over the runtime\n`);
  if (sizeBytes > limits.maxBytes) {
    throw new Error(`the template adds ${sizeBytes} bytes to the runtime, over the limit of ${limits.maxBytes}`);
  }

  log.begin('check');
  await checkImage({
    docker,
    log,
    image: input.image,
    name: names.check,
    runtime: runtime.manifest,
    env: { ...runtime.manifest.env, ...spec.env },
    pip: spec.pip,
  });
  return {
    image: input.image,
    imageId: image.Id,
    sizeBytes,
    installed: {
      debian: fetched.debian,
      pip: fetched.wheels.map(({ name, version, sha256 }) => ({ name, version, sha256 })),
    },
    taskQueue: hostQueue(deps.hostId),
  };
}
