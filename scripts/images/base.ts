/**
 * The minbase root every image of a Debian suite starts from: debootstrap's output with apt's package
 * lists fetched for this run, as a directory the images mount as the lower layer of an overlay
 * (root.ts), so none of them unpacks or updates a copy of its own.
 *
 * A normal build keeps debootstrap's output as a tarball between runs; a build from scratch
 * debootstraps in its own folder and keeps nothing. The lists are fetched on every run either way,
 * so a kept base never points apt at versions a point release has removed from the mirror.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RECIPE_VERSION } from './build-key';
import { BuildScope } from './steps';

export interface BaseOptions {
  suite: string;
  mirror: string;
  /** This run's own folder. */
  runDir: string;
  /** Where debootstrap's output is kept between runs; undefined for a build from scratch. */
  cacheDir: string | undefined;
  logDir: string;
}

/** Makes the suite's base directory for this run and returns its path. */
export async function prepareBase({ suite, mirror, runDir, cacheDir, logDir }: BaseOptions): Promise<string> {
  const scope = new BuildScope(`base-${suite}`, logDir);
  const root = path.join(runDir, `base-${suite}`);
  const key = crypto.createHash('sha256').update(`${RECIPE_VERSION}\0${suite}\0${mirror}`).digest('hex').slice(0, 16);
  const kept = cacheDir ? path.join(cacheDir, `debootstrap-${suite}-${key}.tar`) : undefined;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  if (kept && fs.existsSync(kept)) {
    await scope.step(
      `unpack the kept debootstrap of ${suite}`,
      () => scope.run('tar', ['-C', root, '--numeric-owner', '-xf', kept]),
      { timing: 'unpack' },
    );
  } else {
    await scope.step(
      `debootstrap --variant=minbase ${suite} ${mirror}`,
      () => scope.run('debootstrap', ['--variant=minbase', suite, root, mirror]),
      { timing: 'debootstrap' },
    );
    // debootstrap leaves the packages it installed in apt's cache; no image needs them.
    for (const deb of fs.readdirSync(path.join(root, 'var/cache/apt/archives')).filter((f) => f.endsWith('.deb'))) {
      fs.rmSync(path.join(root, 'var/cache/apt/archives', deb));
    }
    if (kept) {
      await scope.step(
        'keep it for later builds',
        async () => {
          fs.mkdirSync(path.dirname(kept), { recursive: true });
          await scope.run('tar', ['-C', root, '--numeric-owner', '-cf', `${kept}.tmp`, '.']);
          fs.renameSync(`${kept}.tmp`, kept);
        },
        { quiet: true, timing: 'keep' },
      );
    }
  }
  await scope.step(
    'apt-get update',
    async () => {
      fs.copyFileSync('/etc/resolv.conf', path.join(root, 'etc/resolv.conf'));
      await scope.run('chroot', [root, 'apt-get', 'update', '-qq']);
    },
    { quiet: true, timing: 'package lists' },
  );
  scope.log(`ready (${scope.timings()})`);
  return root;
}
