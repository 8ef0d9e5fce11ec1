/**
 * The check step: the built image, run as a sandbox would run it (the sandbox user, no network,
 * read-only root, no capabilities), still reports its runtime's version, and every pinned wheel
 * is installed at its pin.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { SANDBOX_USER, WORKSPACE } from '../../lib/containers';
import type { RuntimeManifest } from '../../lib/schemas/runtime';
import type { BuildLog } from './build-log';

const CHECK_TIMEOUT_MS = 60_000;

export interface CheckInput {
  docker: Docker;
  log: BuildLog;
  image: string;
  name: string;
  runtime: RuntimeManifest;
  env: Record<string, string>;
  pip: string[];
}

export async function checkImage({ docker, log, image, name, runtime, env, pip }: CheckInput): Promise<void> {
  const output = await runAsSandbox({ docker, log, image, name, env }, runtime.versionCommand);
  const version = runtime.versionPattern ? new RegExp(runtime.versionPattern, 'm').exec(output)?.[1] : output.trim();
  if (!version?.startsWith(runtime.version)) {
    throw new Error(`the runtime reports "${output.trim()}", not ${runtime.name} ${runtime.version}`);
  }
  if (pip.length === 0 || !runtime.librariesCommand) return;
  const names = pip.map((p) => p.split('==')[0]!);
  const listed = await runAsSandbox({ docker, log, image, name, env }, [...runtime.librariesCommand, ...names]);
  const installed = new Map(
    listed
      .trim()
      .split('\n')
      .map((l) => l.trim().split('==') as [string, string]),
  );
  const wrong = pip.filter((pin) => {
    const [n, v] = pin.split('==') as [string, string];
    return installed.get(n) !== v;
  });
  if (wrong.length > 0) throw new Error(`not installed at their pins: ${wrong.join(', ')}`);
}

async function runAsSandbox(
  { docker, log, image, name, env }: Omit<CheckInput, 'runtime' | 'pip'>,
  argv: string[],
): Promise<string> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  log.write(`$ ${argv.join(' ')}\n`);
  const container = await docker.createContainer({
    name,
    Image: image,
    Entrypoint: argv.slice(0, 1),
    Cmd: argv.slice(1),
    User: SANDBOX_USER,
    WorkingDir: '/',
    Env: [
      `HOME=${WORKSPACE}`,
      'LANG=C.UTF-8',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ],
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
      PidsLimit: 128,
      Memory: 512 * 1024 * 1024,
      LogConfig: { Type: 'none', Config: {} },
    },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => {
      out += d.toString();
      log.write(d.toString());
    });
    stderr.on('data', (d: Buffer) => log.write(d.toString()));
    container.modem.demuxStream(stream, stdout, stderr);
    await container.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS)),
    );
    const ended = (await Promise.race([container.wait(), timeout])) as { StatusCode: number } | 'timeout';
    clearTimeout(timer);
    if (ended === 'timeout') throw new Error(`${argv[0]} did not answer in ${CHECK_TIMEOUT_MS / 1000}s`);
    // The attach stream may still hold the last bytes: wait for its end.
    const readable = stream as NodeJS.ReadableStream & { readableEnded?: boolean };
    await new Promise((resolve) => (readable.readableEnded ? resolve(null) : readable.once('end', resolve)));
    if (ended.StatusCode !== 0) throw new Error(`${argv.join(' ')} exited ${ended.StatusCode}`);
    return out;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
