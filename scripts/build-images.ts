/**
 * Builds every runtime image under images/ from Debian packages: a shared minbase root made with
 * debootstrap, the runtime installed with apt in a chroot, hardened, then `docker import`ed.
 * An image is rebuilt only when its definition folder (or this recipe) changes.
 *
 *   node dist/scripts/build-images.js [--force] [runtime ...]
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { loadRuntimes, loadToolImages, type ImageDefinition } from '../lib/runtimes';
import { IMAGE_LABELS, WORKSPACE, imageTagFor } from '../lib/containers';
import { STATE_DIR } from '../lib/paths';
import { BUILD_KEY_LABEL, imageBuildKey, needsBuild } from '../lib/image-build-key';

/** Bump when the hardening below changes, so every image is rebuilt. */
const RECIPE_VERSION = '1';
const MIRROR = process.env.AIRLOCK_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const BUILD_DIR = path.join(STATE_DIR, 'build');
const SANDBOX_UID = 10001;

const docker = new Docker();

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const only = args.filter((a) => !a.startsWith('--'));
  const runtimes = [...loadRuntimes().values(), ...loadToolImages().values()].filter(
    (r) => only.length === 0 || only.includes(r.manifest.name),
  );
  const todo: ImageDefinition[] = [];
  for (const def of runtimes) {
    const existingLabels = await currentLabels(def);
    if (needsBuild({ recipeVersion: RECIPE_VERSION, definitionSha256: def.definitionSha256, existingLabels, force })) {
      todo.push(def);
    } else {
      log(def.manifest.name, 'up to date');
    }
  }
  if (todo.length === 0) return;
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const suites = [...new Set(todo.map((d) => d.manifest.debian.suite))];
  const bases = new Map<string, string>();
  for (const suite of suites) bases.set(suite, await ensureBase(suite));
  // Two at a time: apt and dpkg are disk-bound, and the machine has two cores.
  await runPool(todo, 2, (def) => buildImage(def, bases.get(def.manifest.debian.suite)!));
}

/** The labels of the image now under the runtime's tag (null when it has none); undefined when there is no image. */
async function currentLabels(def: ImageDefinition): Promise<Record<string, string> | null | undefined> {
  try {
    const info = await docker.getImage(imageTagFor(def.manifest.name)).inspect();
    return info.Config?.Labels;
  } catch {
    return undefined;
  }
}

/** A minbase root with apt's package lists, kept as a tarball so every image starts from it. */
async function ensureBase(suite: string): Promise<string> {
  const key = crypto.createHash('sha256').update(`${RECIPE_VERSION}\0${suite}\0${MIRROR}`).digest('hex').slice(0, 16);
  const tarball = path.join(BUILD_DIR, `base-${suite}-${key}.tar`);
  if (fs.existsSync(tarball)) return tarball;
  const root = path.join(BUILD_DIR, `base-${suite}`);
  fs.rmSync(root, { recursive: true, force: true });
  log('base', `debootstrap ${suite} from ${MIRROR}`);
  await run('debootstrap', ['--variant=minbase', suite, root, MIRROR]);
  fs.copyFileSync('/etc/resolv.conf', path.join(root, 'etc/resolv.conf'));
  await run('chroot', [root, 'apt-get', 'update', '-qq']);
  await run('tar', ['-C', root, '--numeric-owner', '-cf', `${tarball}.tmp`, '.']);
  fs.renameSync(`${tarball}.tmp`, tarball);
  fs.rmSync(root, { recursive: true, force: true });
  return tarball;
}

async function buildImage(def: ImageDefinition, baseTarball: string): Promise<void> {
  const { manifest } = def;
  const name = manifest.name;
  const started = Date.now();
  const root = path.join(BUILD_DIR, `rootfs-${name}`);
  // An interrupted build may have left its /proc mounted.
  await run('umount', [path.join(root, 'proc')]).catch(() => undefined);
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  await run('tar', ['-C', root, '--numeric-owner', '-xf', baseTarball]);
  log(name, `apt-get install ${manifest.debian.packages.join(' ')}`);
  // Maintainer scripts (the JDK's) and $ORIGIN-relative libraries need /proc while in the chroot;
  // it is unmounted before the root is hardened and packed.
  const proc = path.join(root, 'proc');
  await run('mount', ['-t', 'proc', 'proc', proc]);
  let version: string;
  try {
    const packages = manifest.debian.packages;
    await run('chroot', [root, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages], {
      DEBIAN_FRONTEND: 'noninteractive',
    });
    for (const [target, source] of Object.entries(manifest.files)) {
      const dest = path.join(root, target);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(def.dir, source), dest);
      fs.chmodSync(dest, parseInt(manifest.modes[target] ?? '0644', 8));
    }
    if (manifest.setup.length > 0) await runSetup(root, name, manifest.setup);
    version = installedVersion(def, (await run('chroot', [root, ...manifest.versionCommand])).trim());
  } finally {
    await run('umount', [proc]);
  }
  await harden(root);

  const labels: Record<string, string> = {
    [IMAGE_LABELS.runtime]: name,
    [IMAGE_LABELS.definitionSha256]: def.definitionSha256,
    [IMAGE_LABELS.runtimeVersion]: version,
    [BUILD_KEY_LABEL]: imageBuildKey(RECIPE_VERSION, def.definitionSha256),
    'org.opencontainers.image.licenses': 'Apache-2.0',
  };
  const previous = await docker
    .getImage(imageTagFor(name))
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
  await importRoot(root, name, labels);
  if (previous)
    await docker
      .getImage(previous)
      .remove()
      .catch(() => undefined); // still in use: harmless
  fs.rmSync(root, { recursive: true, force: true });
  log(name, `built ${imageTagFor(name)} (${manifest.displayName} ${version}) in ${Date.now() - started} ms`);
}

/**
 * Setup commands (pinned npm installs) reach the package registries the way the host does: through
 * the host's CA bundle, which may carry a proxy's certificate. The bundle is removed afterwards.
 */
async function runSetup(root: string, name: string, commands: string[][]): Promise<void> {
  const hostBundle = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
  const inRoot = '/tmp/airlock-build-ca.crt';
  const env: Record<string, string> = { HOME: '/root' };
  if (fs.existsSync(hostBundle)) {
    fs.copyFileSync(hostBundle, path.join(root, inRoot));
    Object.assign(env, { NODE_EXTRA_CA_CERTS: inRoot, npm_config_cafile: inRoot, SSL_CERT_FILE: inRoot });
  }
  try {
    for (const command of commands) {
      log(name, `setup: ${command.join(' ')}`);
      await run('chroot', [root, ...command], env);
    }
  } finally {
    fs.rmSync(path.join(root, inRoot), { force: true });
    fs.rmSync(path.join(root, 'root/.npm'), { recursive: true, force: true });
  }
}

/** The runtime's version as the image reports it; it must match the manifest's major.minor. */
function installedVersion(def: ImageDefinition, output: string): string {
  const { manifest } = def;
  const match = manifest.versionPattern ? new RegExp(manifest.versionPattern, 'm').exec(output) : null;
  if (manifest.versionPattern && !match?.[1]) {
    throw new Error(`${manifest.name}: version pattern ${manifest.versionPattern} does not match "${output}"`);
  }
  const version = match?.[1] ?? output;
  if (!version.startsWith(manifest.version)) {
    throw new Error(`${manifest.name}: installed version ${version} does not match the manifest's ${manifest.version}`);
  }
  return version;
}

/** Non-root user, no setuid/setgid binaries, no package caches, an empty workspace mount point. */
async function harden(root: string): Promise<void> {
  await run('chroot', [root, 'groupadd', '--gid', String(SANDBOX_UID), 'sandbox']);
  await run('chroot', [
    root,
    'useradd',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--home-dir',
    WORKSPACE,
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    'sandbox',
  ]);
  await run('find', [root, '-xdev', '-type', 'f', '-perm', '/6000', '-exec', 'chmod', 'ug-s', '{}', '+']);
  for (const junk of [
    'var/lib/apt/lists',
    'var/cache/apt',
    'var/cache/debconf',
    'usr/share/doc',
    'usr/share/man',
    'usr/share/info',
    'var/log',
  ]) {
    fs.rmSync(path.join(root, junk), { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(root, 'etc/resolv.conf'), '');
  fs.mkdirSync(path.join(root, WORKSPACE.slice(1)), { recursive: true });
  fs.chownSync(path.join(root, WORKSPACE.slice(1)), SANDBOX_UID, SANDBOX_UID);
  const leftovers = (await run('find', [root, '-xdev', '-type', 'f', '-perm', '/6000'])).trim();
  if (leftovers) throw new Error(`setuid/setgid files remain: ${leftovers}`);
}

async function importRoot(root: string, name: string, labels: Record<string, string>): Promise<void> {
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const changes = [
    `USER ${SANDBOX_UID}:${SANDBOX_UID}`,
    `WORKDIR ${WORKSPACE}`,
    'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8',
    'CMD ["sleep", "infinity"]',
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
  ];
  const [repo, tag] = imageTagFor(name).split(':') as [string, string];
  const stream = await docker.importImage(tar.stdout, { repo, tag, changes });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failure = err ?? out.find((o) => o.error)?.error;
      if (failure) reject(new Error(`docker import ${name}: ${String(failure)}`));
      else resolve();
    }),
  );
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/** Runs `fn` over `items`, `width` at a time; every build finishes (or fails) before any failure is reported. */
async function runPool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const failures: unknown[] = [];
  const workers = Array.from({ length: Math.min(width, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await fn(item).catch((err: unknown) => failures.push(err));
    }
  });
  await Promise.all(workers);
  if (failures.length > 0) throw failures[0];
}

function log(scope: string, message: string): void {
  process.stdout.write(`[images] ${scope}: ${message}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[images] build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
