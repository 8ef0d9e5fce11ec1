/**
 * The install step of a template build: a container of the runtime image with no network installs
 * what the fetch step downloaded, writes the spec's files and runs its setup as root, with only the
 * capabilities package scripts need, and limits on memory, pids and time. Nothing of Airlock runs
 * in it after the setup starts: hardening is done from outside (harden-layer.ts).
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { packTar } from '../host/workspace-files';
import type { ParsedTemplateSpec } from '../../lib/schemas/template';
import type { BuildLog } from './build-log';

const MiB = 1024 * 1024;
export const BUILD_MOUNT = '/airlock-build';
const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface InstallInput {
  docker: Docker;
  log: BuildLog;
  baseImage: string;
  spec: ParsedTemplateSpec;
  /** The fetch step's folder of downloads, mounted read-only. */
  inDir: string;
  hasDebs: boolean;
  hasWheels: boolean;
  /** The build container's name, from the build's id, so a retried build finds and removes it. */
  name: string;
  labels: Record<string, string>;
  /** Epoch ms by which the whole build must end. */
  deadlineAt: number;
  memoryMb: number;
}

/** The script the container runs: Airlock's steps, then the spec's setup last. */
function installScript({ hasDebs, hasWheels, spec }: Pick<InstallInput, 'hasDebs' | 'hasWheels' | 'spec'>): string {
  // The runtime's hardening removed /var/log; dpkg wants its log there (the layer's hardening drops it again).
  const lines = ['set -e', 'mkdir -p /var/log'];
  if (hasDebs) {
    lines.push('echo "### install the Debian packages"', `dpkg --force-unsafe-io -i ${BUILD_MOUNT}/debs/*.deb`);
  }
  if (hasWheels) {
    lines.push(
      'echo "### install the wheels"',
      `python3 ${BUILD_MOUNT}/pip.whl/pip install --no-index --no-deps --no-cache-dir --disable-pip-version-check ` +
        `--isolated --break-system-packages --root-user-action=ignore ${BUILD_MOUNT}/wheels/*.whl`,
    );
  }
  if (spec.setup !== undefined) lines.push('echo "### setup"', 'cd /', `exec /bin/sh ${BUILD_MOUNT}/setup.sh`);
  return lines.join('\n');
}

/** Runs the install container to its end; returns it (stopped) for hardening and commit. */
export async function installInContainer(input: InstallInput): Promise<Docker.Container> {
  const { docker, log, spec } = input;
  await removeContainer(docker, input.name);
  const base = await docker.getImage(input.baseImage).inspect();
  const container = await docker.createContainer({
    name: input.name,
    Image: input.baseImage,
    // As the command, not the entrypoint: the commit restores the runtime's command, and an
    // entrypoint would stay in the image and wrap the supervisor.
    Cmd: ['/bin/sh', '-c', installScript(input)],
    User: '0:0',
    WorkingDir: '/',
    // Root's PATH for dpkg and the setup; the commit puts back the runtime image's own (imageConfig).
    Env: [...(base.Config.Env ?? []).filter((e) => !e.startsWith('PATH=')), `PATH=${ROOT_PATH}`],
    Labels: input.labels,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      // What dpkg and maintainer scripts need to own and move files; nothing that reaches the host.
      CapAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 512,
      Memory: input.memoryMb * MiB,
      MemorySwap: input.memoryMb * MiB,
      NanoCpus: 2e9,
      Binds: [`${input.inDir}:${BUILD_MOUNT}:ro`],
      // Scratch space that is never part of the image.
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=1g', '/var/tmp': 'rw,nosuid,nodev,size=256m' },
      IpcMode: 'private',
      LogConfig: { Type: 'none', Config: {} },
      RestartPolicy: { Name: 'no' },
    },
  });
  if (spec.files.length > 0) {
    await container.putArchive(await packTemplateFiles(spec.files), { path: '/' });
  }
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const out = new PassThrough();
  out.on('data', (d: Buffer) => log.write(d.toString()));
  container.modem.demuxStream(stream, out, out);
  await container.start();
  const left = input.deadlineAt - Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
  const ended = (await Promise.race([container.wait(), timedOut])) as { StatusCode: number } | 'timeout';
  clearTimeout(timer);
  if (ended === 'timeout') {
    await container.kill().catch(() => undefined);
    throw new Error(`the build ran past its time limit`);
  }
  const state = (await container.inspect()).State;
  if (state.OOMKilled) throw new Error(`the install step ran out of memory (${input.memoryMb} MB)`);
  if (ended.StatusCode !== 0) {
    const part = log.lastStep() ?? 'install';
    throw new Error(`the install step exited ${ended.StatusCode} in "${part}"`);
  }
  return container;
}

export async function removeContainer(docker: Docker, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

/** The spec's files as a tar for the engine to put in the container, owned by root. */
function packTemplateFiles(files: ParsedTemplateSpec['files']): Promise<Buffer> {
  return packTar(
    files.map((file) => ({
      name: file.path.slice(1),
      mode: file.executable ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
      content: Buffer.from(file.content, file.encoding),
    })),
  );
}

/** The runtime image's user, environment, folder and command, for the commit to restore over the build container's. */
export function imageConfig(base: Docker.ImageInspectInfo): string[] {
  const { User, Env, WorkingDir, Cmd } = base.Config;
  return [
    `USER ${User || '10001:10001'}`,
    ...(Env ?? []).map((e) => `ENV ${e}`),
    `WORKDIR ${WorkingDir || '/'}`,
    `CMD ${JSON.stringify(Cmd ?? ['sleep', 'infinity'])}`,
  ];
}
