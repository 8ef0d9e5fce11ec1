/** Non-root user, no setuid/setgid binaries, no package caches, an empty workspace mount point. */
import fs from 'node:fs';
import path from 'node:path';
import { E2B_HOME, WORKSPACE } from '../../lib/containers';
import type { BuildScope } from './steps';

export const SANDBOX_UID = 10001;

const JUNK = [
  'var/lib/apt/lists',
  'var/cache/apt',
  'var/cache/debconf',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'var/log',
];

export async function harden(scope: BuildScope, root: string): Promise<void> {
  const uid = String(SANDBOX_UID);
  await scope.run('chroot', [root, 'groupadd', '--gid', uid, 'sandbox']);
  await scope.run('chroot', [
    root,
    'useradd',
    ...['--uid', uid, '--gid', uid, '--home-dir', WORKSPACE, '--no-create-home', '--shell', '/usr/sbin/nologin'],
    'sandbox',
  ]);
  await scope.run('find', [root, '-xdev', '-type', 'f', '-perm', '/6000', '-exec', 'chmod', 'ug-s', '{}', '+']);
  for (const junk of JUNK) fs.rmSync(path.join(root, junk), { recursive: true, force: true });
  fs.writeFileSync(path.join(root, 'etc/resolv.conf'), '');
  const workspace = path.join(root, WORKSPACE.slice(1));
  fs.mkdirSync(workspace, { recursive: true });
  fs.chownSync(workspace, SANDBOX_UID, SANDBOX_UID);
  // E2B's home: programs written for it name /home/user, which is the workspace here.
  fs.mkdirSync(path.join(root, 'home'), { recursive: true });
  fs.rmSync(path.join(root, E2B_HOME.slice(1)), { recursive: true, force: true });
  fs.symlinkSync(WORKSPACE, path.join(root, E2B_HOME.slice(1)));
  const leftovers = (await scope.run('find', [root, '-xdev', '-type', 'f', '-perm', '/6000'])).trim();
  if (leftovers) throw new Error(`setuid/setgid files remain: ${leftovers}`);
}
