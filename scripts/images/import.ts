/** A built root as an image: `docker import` with the sandbox user, workspace and labels set. */
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { WORKSPACE } from '../../lib/containers';
import { SANDBOX_UID } from './harden';
import { IMAGE_PATH } from './root';

export async function importRoot(
  docker: Docker,
  { root, tag, labels }: { root: string; tag: string; labels: Record<string, string> },
): Promise<string> {
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tarError = '';
  tar.stderr.on('data', (d: Buffer) => (tarError += d.toString()));
  const changes = [
    `USER ${SANDBOX_UID}:${SANDBOX_UID}`,
    `WORKDIR ${WORKSPACE}`,
    `ENV PATH=${IMAGE_PATH} LANG=C.UTF-8`,
    'CMD ["sleep", "infinity"]',
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
  ];
  const [repo, version] = tag.split(':') as [string, string];
  const tarDone = new Promise<void>((resolve, reject) =>
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}: ${tarError}`)))),
  );
  const stream = await docker.importImage(tar.stdout, { repo, tag: version, changes });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failure = err ?? out.find((o) => o.error)?.error;
      if (failure) reject(new Error(String(failure)));
      else resolve();
    }),
  );
  await tarDone;
  return (await docker.getImage(tag).inspect()).Id;
}
