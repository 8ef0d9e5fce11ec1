/**
 * Builds every runtime image under images/ (and the scanner) from Debian packages: a minbase root
 * per suite made with debootstrap, each image's packages installed with apt in a chroot, hardened,
 * then `docker import`ed. An image is rebuilt only when its definition folder (or the recipe) changes.
 *
 *   node dist/scripts/build-images.js [--force] [--from-scratch] [--jobs N] [image ...]
 *
 * --from-scratch builds every image as a new machine does, in a folder of its own: a fresh
 * debootstrap, fresh package lists and downloads, a fresh npm cache, and nothing kept or reused.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { loadRuntimes, loadToolImages, type ImageDefinition } from '../lib/node/runtimes';
import { IMAGE_LABELS } from '../lib/containers';
import { STATE_DIR } from '../lib/node/paths';
import { BUILD_KEY_LABEL, RECIPE_VERSION, imageBuildKey, needsBuild } from './images/build-key';
import { prepareBase } from './images/base';
import { buildRoot, withOverlayRoot } from './images/root';
import { importRoot } from './images/import';
import { BuildScope, elapsed, runPool } from './images/steps';
import { BuildDurations, runDirFor, sweepStaleRuns } from './images/run-dirs';
import { pipWheel } from '../lib/node/pip';

const MIRROR = process.env.AIRLOCK_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const BUILD_DIR = path.join(STATE_DIR, 'build');
const LOG_DIR = path.join(STATE_DIR, 'logs', 'images');

interface Options {
  force: boolean;
  fromScratch: boolean;
  jobs: number;
  only: string[];
}

function parseArgs(args: string[]): Options {
  const jobsArg = args.indexOf('--jobs');
  const jobsText = jobsArg >= 0 ? args[jobsArg + 1] : process.env.AIRLOCK_IMAGE_BUILD_JOBS;
  const jobs = jobsText === undefined ? 3 : Number(jobsText);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new Error(`--jobs must be 1 to 16, got "${jobsText}"`);
  const fromScratch = args.includes('--from-scratch');
  return {
    force: fromScratch || args.includes('--force'),
    fromScratch,
    jobs,
    only: args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--jobs'),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const docker = new Docker();
  const definitions = [...loadRuntimes().all(), ...loadToolImages().values()];
  // A name builds every version of it; `python-3.13` one version.
  const named = (d: ImageDefinition, name: string) => d.manifest.name === name || d.key === name;
  const unknown = opts.only.filter((name) => !definitions.some((d) => named(d, name)));
  if (unknown.length > 0) throw new Error(`no image definition named ${unknown.join(', ')}`);
  const todo: ImageDefinition[] = [];
  for (const def of definitions.filter((d) => opts.only.length === 0 || opts.only.some((n) => named(d, n)))) {
    const existingLabels = await currentLabels(docker, def);
    const { definitionSha256 } = def;
    if (needsBuild({ recipeVersion: RECIPE_VERSION, definitionSha256, existingLabels, force: opts.force })) {
      todo.push(def);
    } else {
      process.stdout.write(`[images] ${def.key}: up to date\n`);
    }
  }
  await removeRetiredTags(docker, new Set(definitions.map((d) => d.tag)));
  if (todo.length === 0) return;

  sweepStaleRuns(BUILD_DIR);
  const runDir = runDirFor(BUILD_DIR, opts.fromScratch);
  fs.mkdirSync(runDir, { recursive: true });
  const started = Date.now();
  process.stdout.write(
    `[images] building ${todo.map((d) => d.key).join(', ')}` +
      `${opts.fromScratch ? ' from scratch' : ''}, ${opts.jobs} at a time (logs: ${LOG_DIR})\n`,
  );
  try {
    // One base per suite, shared by its images; each image waits only for its own suite's.
    const bases = new Map<string, Promise<string>>();
    for (const suite of new Set(todo.map((d) => d.manifest.debian.suite))) {
      const cacheDir = opts.fromScratch ? undefined : path.join(BUILD_DIR, 'cache');
      const base = prepareBase({ suite, mirror: MIRROR, runDir, cacheDir, logDir: LOG_DIR });
      base.catch(() => undefined); // awaited, and reported, by each image of the suite
      bases.set(suite, base);
    }
    const npmCache = opts.fromScratch ? path.join(runDir, 'npm-cache') : undefined;
    const pipWheelFile = todo.some((d) => d.manifest.pip)
      ? await pipWheel(opts.fromScratch ? runDir : path.join(BUILD_DIR, 'cache'))
      : undefined;
    const durations = new BuildDurations(path.join(BUILD_DIR, 'durations.json'));
    const failures = await runPool(durations.longestFirst(todo), opts.jobs, async (def) => {
      const base = await bases.get(def.manifest.debian.suite)!;
      const started = Date.now();
      await buildImage({ docker, def, base, runDir, npmCache, pipWheel: pipWheelFile });
      durations.record(def.key, Date.now() - started);
    });
    if (failures.length > 0) {
      for (const failure of failures) {
        process.stderr.write(`[images] FAILED ${failure instanceof Error ? failure.message : String(failure)}\n`);
      }
      throw new Error(`${failures.length} of ${todo.length} images failed to build`);
    }
    process.stdout.write(
      `[images] built ${todo.length} image${todo.length === 1 ? '' : 's'}${opts.fromScratch ? ' from scratch' : ''} in ${elapsed(started)}\n`,
    );
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * Tags of Airlock images no definition names any more (a dropped version, `:latest` from before
 * versions), so the engine does not keep them forever. One a container still uses stays until it is gone.
 */
async function removeRetiredTags(docker: Docker, current: Set<string>): Promise<void> {
  const images = await docker.listImages({ filters: { label: [IMAGE_LABELS.runtime] } });
  const retired = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith('airlock/') && !current.has(t));
  for (const tag of retired) {
    const removed = await docker
      .getImage(tag)
      .remove()
      .then(() => true)
      .catch(() => false);
    if (removed) process.stdout.write(`[images] removed ${tag}: no definition names it\n`);
  }
}

/** The labels of the image now under the definition's tag (null when it has none); undefined when there is no image. */
async function currentLabels(docker: Docker, def: ImageDefinition): Promise<Record<string, string> | null | undefined> {
  try {
    const info = await docker.getImage(def.tag).inspect();
    return info.Config?.Labels;
  } catch {
    return undefined;
  }
}

interface BuildImageInput {
  docker: Docker;
  def: ImageDefinition;
  /** The suite's base directory for this run. */
  base: string;
  runDir: string;
  npmCache: string | undefined;
  pipWheel: string | undefined;
}

async function buildImage({ docker, def, base, runDir, npmCache, pipWheel }: BuildImageInput): Promise<void> {
  const { manifest } = def;
  const scope = new BuildScope(def.key, LOG_DIR);
  const started = Date.now();
  const tag = def.tag;
  const previous = await docker
    .getImage(tag)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
  const { id, version } = await withOverlayRoot(scope, { base, dir: path.join(runDir, def.key) }, async (root) => {
    const version = await buildRoot({ scope, def, root, npmCache, pipWheel });
    const labels = {
      [IMAGE_LABELS.runtime]: manifest.name,
      [IMAGE_LABELS.definitionSha256]: def.definitionSha256,
      [IMAGE_LABELS.runtimeVersion]: version,
      [BUILD_KEY_LABEL]: imageBuildKey(RECIPE_VERSION, def.definitionSha256),
      'org.opencontainers.image.licenses': 'Apache-2.0',
    };
    const id = await scope.step('docker import', () => importRoot(docker, { root, tag, labels }), {
      quiet: true,
      timing: 'import',
    });
    return { id, version };
  });
  // Still in use by a container: harmless, the engine keeps it until that container is gone.
  if (previous && previous !== id)
    await docker
      .getImage(previous)
      .remove()
      .catch(() => undefined);
  scope.log(`built ${tag} (${manifest.displayName} ${version}) in ${elapsed(started)}: ${scope.timings()}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[images] build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
