/**
 * One image's root filesystem: an overlay on its suite's base (base.ts), its Debian packages
 * installed with apt in a chroot, the definition's own files and npm packages, hardened, then
 * checked as the sandbox user.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageDefinition } from '../../lib/node/runtimes';
import { WORKSPACE } from '../../lib/containers';
import { harden, SANDBOX_UID } from './harden';
import { HOST_CA_BUNDLE, PYPI_INDEX } from '../../lib/node/pip';
import type { BuildScope } from './steps';

/** The PATH the image runs with (import.ts sets it). */
export const IMAGE_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * Mounts a writable overlay on `base` at `dir/root`, runs `fn` on it and unmounts it. The base is
 * the lower layer, shared read-only by every image of the suite. Where no overlay can be mounted
 * (a build folder on overlayfs itself, as in a container's own filesystem) the base is copied.
 */
export async function withOverlayRoot<T>(
  scope: BuildScope,
  { base, dir }: { base: string; dir: string },
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const [upper, work, root] = ['upper', 'work', 'root'].map((d) => path.join(dir, d)) as [string, string, string];
  fs.rmSync(dir, { recursive: true, force: true });
  for (const d of [upper, work, root]) fs.mkdirSync(d, { recursive: true });
  const options = `lowerdir=${base},upperdir=${upper},workdir=${work}`;
  const mounted = await scope
    .run('mount', ['-t', 'overlay', 'overlay', '-o', options, root])
    .then(() => true)
    .catch(() => false);
  if (!mounted) {
    await scope.step(
      'copy the base (no overlay here)',
      () => scope.run('cp', ['-a', '--reflink=auto', `${base}/.`, root]),
      {
        timing: 'copy',
      },
    );
  }
  try {
    return await fn(root);
  } finally {
    if (mounted) await scope.run('umount', [root]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface RootOptions {
  scope: BuildScope;
  def: ImageDefinition;
  root: string;
  /** npm's cache for this build; a build from scratch gives it a fresh one. */
  npmCache: string | undefined;
  /** The pinned pip wheel (pip.ts), for a definition with PyPI packages. */
  pipWheel?: string | undefined;
}

/** Builds the image's files in `root` (a fresh overlay on the base) and returns the runtime version it reports. */
export async function buildRoot({ scope, def, root, npmCache, pipWheel }: RootOptions): Promise<string> {
  const proc = path.join(root, 'proc');
  // Maintainer scripts (the JDK's), $ORIGIN-relative libraries and the JVM need /proc in the chroot.
  await scope.run('mount', ['-t', 'proc', 'proc', proc]);
  try {
    await installPackages(scope, def, root);
    await scope.step('copy the definition files', () => copyFiles(def, root), { quiet: true });
    if (def.manifest.npm) await installNpmPackages({ scope, def, root, npmCache });
    if (def.manifest.pip) await installPipPackages({ scope, def, root, npmCache, pipWheel });
    for (const command of def.manifest.setup) {
      await scope.step(
        `setup: ${command.join(' ')}`,
        () => scope.run('chroot', [root, 'env', '-i', `PATH=${IMAGE_PATH}`, 'LANG=C.UTF-8', 'HOME=/root', ...command]),
        { quiet: true, timing: 'setup' },
      );
    }
    await scope.step('harden', () => harden(scope, root), { quiet: true, timing: 'harden' });
    const version = await checkAsSandbox(scope, def, root);
    // Whatever the checks left behind is not part of the image.
    for (const dir of ['tmp', 'var/tmp', WORKSPACE.slice(1)]) emptyDirectory(path.join(root, dir));
    return version;
  } finally {
    await scope.run('umount', [proc]);
  }
}

async function installPackages(scope: BuildScope, def: ImageDefinition, root: string): Promise<void> {
  const { packages } = def.manifest.debian;
  await scope.step(
    `apt-get install ${packages.join(' ')}`,
    () =>
      scope.run(
        'chroot',
        [
          root,
          ...['apt-get', 'install', '-y', '-qq', '--no-install-recommends'],
          // The root is thrown away if the build dies: dpkg's fsyncs buy nothing here.
          ...['-o', 'Dpkg::Options::=--force-unsafe-io'],
          ...packages,
        ],
        { env: { DEBIAN_FRONTEND: 'noninteractive' } },
      ),
    { timing: 'install' },
  );
}

/** The definition's npm/ lockfile, installed by the build machine's npm: the image itself needs no npm. */
async function installNpmPackages({ scope, def, root, npmCache }: RootOptions): Promise<void> {
  const prefix = path.join(root, def.manifest.npm!.prefix);
  await scope.step(
    `npm ci into ${def.manifest.npm!.prefix}`,
    async () => {
      fs.mkdirSync(prefix, { recursive: true });
      for (const file of ['package.json', 'package-lock.json']) {
        fs.copyFileSync(path.join(def.dir, 'npm', file), path.join(prefix, file));
      }
      const args = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
      await scope.run('npm', [...args, ...(npmCache ? ['--cache', npmCache] : [])], { cwd: prefix });
      const { linkAt } = def.manifest.npm!;
      if (linkAt) fs.symlinkSync(path.join(def.manifest.npm!.prefix, 'node_modules'), path.join(root, linkAt));
    },
    { timing: 'npm' },
  );
}

/**
 * The definition's hash-pinned wheels, installed in the chroot by the image's own Python (so each
 * version gets its own ABI's wheels) into /usr/local, where Debian's packages never write. Binary
 * wheels only: no package's build code runs, and none reaches the network after this.
 */
async function installPipPackages({ scope, def, root, pipWheel }: RootOptions): Promise<void> {
  if (!pipWheel) throw new Error('a definition with pip packages needs the pinned pip wheel');
  const requirements = def.manifest.pip!.requirements;
  await scope.step(
    `pip install -r ${requirements}`,
    async () => {
      fs.copyFileSync(pipWheel, path.join(root, 'tmp/pip.whl'));
      fs.copyFileSync(path.join(def.dir, requirements), path.join(root, 'tmp/requirements.txt'));
      // The build machine's trust store, as for its own npm: the root has none of its own.
      fs.copyFileSync(HOST_CA_BUNDLE, path.join(root, 'tmp/ca.pem'));
      await scope.run('chroot', [
        root,
        // Nothing of the build machine's pip settings (find-links, indexes) leaks in.
        ...['env', '-i', `PATH=${IMAGE_PATH}`, 'LANG=C.UTF-8', 'HOME=/tmp'],
        ...['python3', '/tmp/pip.whl/pip', 'install', '--quiet', '--no-cache-dir', '--disable-pip-version-check'],
        ...['--isolated', '--cert', '/tmp/ca.pem', '--index-url', PYPI_INDEX],
        ...['--require-hashes', '--only-binary=:all:', '--no-deps'],
        ...['--break-system-packages', '--root-user-action=ignore'],
        ...['-r', '/tmp/requirements.txt'],
      ]);
    },
    { timing: 'pip' },
  );
}

/** The manifest's checks, then its version command, as the sandbox user: what a sandbox will see. */
async function checkAsSandbox(scope: BuildScope, def: ImageDefinition, root: string): Promise<string> {
  const { manifest } = def;
  const runtimeEnv = (manifest as { env?: Record<string, string> }).env ?? {};
  const env = { PATH: IMAGE_PATH, LANG: 'C.UTF-8', HOME: '/tmp', ...runtimeEnv };
  const asSandbox = (argv: string[]) => [
    `--userspec=${SANDBOX_UID}:${SANDBOX_UID}`,
    root,
    ...['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)],
    ...argv,
  ];
  for (const check of manifest.checks) {
    await scope.step(`check: ${check.join(' ')}`, () => scope.run('chroot', asSandbox(check)), {
      quiet: true,
      timing: 'checks',
    });
  }
  await checkLibraries(scope, def, (argv) => scope.run('chroot', asSandbox(argv)));
  const output = await scope.step('read the version', () => scope.run('chroot', asSandbox(manifest.versionCommand)), {
    quiet: true,
    timing: 'checks',
  });
  return scope.step('check the version', () => installedVersion(def, output.trim()), { quiet: true });
}

/** Each library the version declares is there, at a version that starts with the declared one. */
async function checkLibraries(
  scope: BuildScope,
  def: ImageDefinition,
  run: (argv: string[]) => Promise<string>,
): Promise<void> {
  const { librariesCommand } = def.manifest;
  const declared = (def.manifest as { libraries?: Record<string, string> }).libraries ?? {};
  const names = Object.keys(declared);
  if (names.length === 0 || !librariesCommand) return;
  const output = await scope.step('read the libraries', () => run([...librariesCommand, ...names]), {
    quiet: true,
    timing: 'checks',
  });
  const installed = new Map(
    output
      .trim()
      .split('\n')
      .map((line) => line.trim().split('==') as [string, string]),
  );
  await scope.step(
    'check the libraries',
    () => {
      const wrong = names.filter((n) => !versionMatches(installed.get(n), declared[n]!));
      if (wrong.length > 0) {
        const found = wrong.map((n) => `${n} ${installed.get(n) ?? 'missing'} (declared ${declared[n]})`);
        throw new Error(`libraries differ from the definition: ${found.join(', ')}`);
      }
    },
    { quiet: true },
  );
}

/** "2.2" matches 2.2, 2.2.4 and 2.2.3+dfsg, never 2.21. */
function versionMatches(installed: string | undefined, declared: string): boolean {
  if (installed === undefined) return false;
  return installed === declared || (/^[.+~-]/.test(installed.slice(declared.length)) && installed.startsWith(declared));
}

function copyFiles(def: ImageDefinition, root: string): void {
  const { files, modes } = def.manifest;
  for (const [target, source] of Object.entries(files)) {
    const dest = path.join(root, target);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(def.dir, source), dest);
    fs.chmodSync(dest, parseInt(modes[target] ?? '0644', 8));
  }
}

/** The runtime's version as the image reports it; it must match the manifest's major.minor. */
export function installedVersion(def: ImageDefinition, output: string): string {
  const { manifest } = def;
  const match = manifest.versionPattern ? new RegExp(manifest.versionPattern, 'm').exec(output) : null;
  if (manifest.versionPattern && !match?.[1]) {
    throw new Error(`version pattern ${manifest.versionPattern} does not match "${output}"`);
  }
  const version = match?.[1] ?? output;
  if (!version.startsWith(manifest.version)) {
    throw new Error(`installed version ${version} does not match the manifest's ${manifest.version}`);
  }
  return version;
}

function emptyDirectory(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
}
