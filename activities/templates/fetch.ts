/**
 * The fetch step of a template build: the only one with a network. Trusted tools only (the base
 * image's apt and the pinned pip), run in a chroot of the runtime image's own layers on an overlay,
 * download the spec's packages; no package's code runs here. What they fetch is handed to the
 * install step, which has no network.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { HOST_CA_BUNDLE, PYPI_INDEX } from '../../lib/node/pip';
import type { BuildLog } from './build-log';

export interface Fetched {
  /** The .deb files, the spec's packages and the dependencies the runtime lacks. */
  debs: string[];
  wheels: { file: string; name: string; version: string; sha256: string }[];
  /** `name=version` of every package downloaded. */
  debian: string[];
}

export interface FetchInput {
  docker: Docker;
  log: BuildLog;
  /** The runtime image the template adds to. */
  baseImage: string;
  debian: string[];
  pip: string[];
  /** The pinned pip wheel, when the spec has PyPI packages. */
  pipWheel: string | undefined;
  /** This build's own folder; the downloads end up in `dir/in`. */
  dir: string;
  signal: AbortSignal;
}

/** Runs a command with its output in the log; rejects with the log's tail when it fails. */
export function run(
  log: BuildLog,
  cmd: string,
  args: string[],
  { env, signal }: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<string> {
  log.write(`$ ${[cmd, ...args].join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      log.write(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => log.write(d.toString()));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args[0] ?? ''} exited ${code ?? sig}`));
    });
  });
}

/** The image's layers, topmost first, as overlay lower directories. */
async function imageLayers(docker: Docker, image: string): Promise<string[]> {
  const info = await docker.getImage(image).inspect();
  const { Name, Data } = info.GraphDriver as { Name: string; Data: Record<string, string> | null };
  if (Name !== 'overlay2' || !Data?.UpperDir) {
    throw new Error(`template builds need the overlay2 storage driver (this engine has ${Name})`);
  }
  const layers = [Data.UpperDir, ...(Data.LowerDir ? Data.LowerDir.split(':') : [])];
  // The chroot mounts the engine's own layers: the worker must be root on the engine's machine.
  if (process.getuid?.() !== 0 || !layers.every((l) => fs.existsSync(l))) {
    throw new Error("template builds need a host worker running as root on its Docker engine's machine");
  }
  return layers;
}

export async function fetchPackages(input: FetchInput): Promise<Fetched> {
  const { log, dir } = input;
  const inDir = path.join(dir, 'in');
  for (const d of ['debs', 'wheels']) fs.mkdirSync(path.join(inDir, d), { recursive: true });
  if (input.debian.length === 0 && input.pip.length === 0) return { debs: [], wheels: [], debian: [] };
  const [upper, work, root] = ['upper', 'work', 'root'].map((d) => path.join(dir, 'fetch', d)) as [
    string,
    string,
    string,
  ];
  for (const d of [upper, work, root]) fs.mkdirSync(d, { recursive: true });
  const lower = (await imageLayers(input.docker, input.baseImage)).join(':');
  await run(log, 'mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
    root,
  ]);
  try {
    // The image was hardened: no resolver, no package lists. Both are this chroot's alone.
    fs.writeFileSync(path.join(root, 'etc/resolv.conf'), fs.readFileSync('/etc/resolv.conf'));
    const env = {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      HOME: '/root',
      DEBIAN_FRONTEND: 'noninteractive',
    };
    const debian = input.debian.length > 0 ? await fetchDebs({ ...input, root, inDir, env }) : { debs: [], debian: [] };
    const wheels = input.pip.length > 0 ? await fetchWheels({ ...input, root, inDir, env }) : [];
    return { ...debian, wheels };
  } finally {
    await run(log, 'umount', [root]).catch(() => run(log, 'umount', ['-l', root]));
    fs.rmSync(path.join(dir, 'fetch'), { recursive: true, force: true });
  }
}

interface ChrootInput extends FetchInput {
  root: string;
  inDir: string;
  env: Record<string, string>;
}

async function fetchDebs({ log, root, inDir, env, debian, signal }: ChrootInput) {
  for (const d of ['var/lib/apt/lists/partial', 'var/cache/apt/archives/partial']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  await run(log, 'chroot', [root, 'apt-get', 'update', '-qq'], { env, signal });
  // Download only: nothing of a package runs until the install step, which has no network.
  await run(
    log,
    'chroot',
    [root, 'apt-get', 'install', '--download-only', '-y', '-q', '--no-install-recommends', ...debian],
    { env, signal },
  );
  const archives = path.join(root, 'var/cache/apt/archives');
  const debs = fs.readdirSync(archives).filter((f) => f.endsWith('.deb'));
  for (const deb of debs) fs.copyFileSync(path.join(archives, deb), path.join(inDir, 'debs', deb));
  return {
    debs,
    // name_version_arch.deb, with the version's ":" written "%3a".
    debian: debs.map((f) => {
      const [name, version] = f.replace(/\.deb$/, '').split('_');
      return `${name}=${decodeURIComponent(version ?? '')}`;
    }),
  };
}

async function fetchWheels({ log, root, inDir, env, pip, pipWheel, signal }: ChrootInput) {
  if (!pipWheel) throw new Error('PyPI packages need the pinned pip wheel');
  fs.copyFileSync(pipWheel, path.join(root, 'tmp/pip.whl'));
  fs.copyFileSync(HOST_CA_BUNDLE, path.join(root, 'tmp/ca.pem'));
  fs.mkdirSync(path.join(root, 'tmp/wheels'), { recursive: true });
  // The image's own Python picks the wheels for its version and ABI; binary wheels only, so no
  // package's build code runs, and only the pinned releases, so nothing unlisted comes in.
  await run(
    log,
    'chroot',
    [
      root,
      ...['env', '-i', ...Object.entries({ ...env, HOME: '/tmp' }).map(([k, v]) => `${k}=${v}`)],
      ...['python3', '/tmp/pip.whl/pip', 'download', '--disable-pip-version-check', '--no-cache-dir'],
      ...['--isolated', '--cert', '/tmp/ca.pem', '--index-url', PYPI_INDEX],
      ...['--only-binary=:all:', '--no-deps', '--dest', '/tmp/wheels', ...pip],
    ],
    { env, signal },
  );
  const files = fs.readdirSync(path.join(root, 'tmp/wheels')).filter((f) => f.endsWith('.whl'));
  return files.map((file) => {
    const bytes = fs.readFileSync(path.join(root, 'tmp/wheels', file));
    fs.writeFileSync(path.join(inDir, 'wheels', file), bytes);
    const [name, version] = file.split('-');
    return {
      file,
      name: name ?? file,
      version: version ?? '',
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    };
  });
}
