/**
 * The files `airlock gate` sends, read as an adversarial change would want them read: never through
 * a link that leaves the tree it was given (a committed `leak.txt -> /proc/self/environ` would send
 * the CI job's environment, its API key included), never a special file, and never by a path that
 * became a link after it was looked at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './run-command';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.airlock', 'dist', 'target', '__pycache__', '.venv']);
export const MAX_FILES = 100;

export interface CollectedFile {
  /** The name it gets in the workspace. */
  path: string;
  /** Where it was read from (a link's target for a link). */
  source: string;
  content: Buffer;
}

interface Walk {
  /** Names are relative to this. */
  base: string;
  /** The real path of the tree that links must stay in. */
  tree: string;
  given: string;
}

/**
 * Files under the given paths, build and VCS folders left out. A path inside the current directory
 * keeps its name from there (`src tests` give `src/…` and `tests/…`, spelled relative or absolute);
 * one outside it is named from itself: a directory's files relative to it, a file by its own name.
 * A link inside the tree is sent as a copy of what it points to, under its own name; a link out of
 * the tree is refused, naming it; sockets, FIFOs and devices are left out.
 */
export function collectFiles(paths: string[], cwd = process.cwd()): CollectedFile[] {
  const out = new Map<string, CollectedFile>();
  for (const given of paths) {
    const file = path.resolve(cwd, given);
    const inside = file === cwd || file.startsWith(`${cwd}${path.sep}`) || cwd === path.sep;
    const directory = isDirectory(file, given);
    const base = inside ? cwd : directory ? file : path.dirname(file);
    // The path given is the tree, so a link it holds may point anywhere in it (and a path given as a
    // link is the user's own choice, so it is followed).
    const tree = realpath(directory ? file : path.dirname(file), `cannot read "${given}"`);
    visit(file, { base, tree, given }, out, new Set());
  }
  if (out.size === 0) throw new UsageError(`no files under ${paths.join(' ')}`);
  return [...out.values()];
}

/** `ancestors`: the real paths of the directories above, so a link back up the tree ends instead of looping. */
function visit(file: string, walk: Walk, out: Map<string, CollectedFile>, ancestors: Set<string>): void {
  const link = lstat(file, walk.given);
  let target = file;
  const name = path.relative(walk.base, file) || '.';
  if (link.isSymbolicLink()) {
    target = realpath(file, `"${name}" (under ${walk.given}) is a link to nothing`);
    if (!within(walk.tree, target)) {
      throw new UsageError(
        `"${name}" is a link to "${fs.readlinkSync(file)}", outside ${walk.given}: refused, so nothing outside the tree is sent`,
      );
    }
  }
  const stat = link.isSymbolicLink() ? fs.statSync(target) : link;
  if (stat.isDirectory()) {
    const real = realpath(target, `cannot read "${name}"`);
    if (ancestors.has(real)) return;
    const below = new Set(ancestors).add(real);
    for (const entry of fs.readdirSync(target).sort()) {
      if (!SKIP_DIRS.has(entry)) visit(path.join(file, entry), walk, out, below);
    }
  } else if (stat.isFile()) {
    add(out, { path: name.split(path.sep).join('/'), source: target, content: read(target) });
  }
  if (out.size > MAX_FILES) throw new UsageError(`more than ${MAX_FILES} files under ${walk.given}`);
}

function add(out: Map<string, CollectedFile>, file: CollectedFile): void {
  const earlier = out.get(file.path);
  if (earlier && earlier.source !== file.source) {
    throw new UsageError(
      `"${earlier.source}" and "${file.source}" would both be named "${file.path}"; pass their common folder`,
    );
  }
  out.set(file.path, file);
}

/** A regular file's bytes; O_NOFOLLOW, so a path swapped for a link since it was looked at is not followed. */
function read(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new UsageError(`"${file}" is no longer a regular file`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const within = (tree: string, target: string) => target === tree || target.startsWith(`${tree}${path.sep}`);

function lstat(file: string, given: string): fs.Stats {
  try {
    return fs.lstatSync(file);
  } catch {
    throw new UsageError(`cannot read "${given}"`);
  }
}

function realpath(file: string, failure: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    throw new UsageError(failure);
  }
}

function isDirectory(file: string, given: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    throw new UsageError(`cannot read "${given}"`);
  }
}
