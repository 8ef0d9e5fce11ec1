/**
 * Each build works in a folder of its own (`run-HOST-PID`, `scratch-HOST-PID`), so builds never
 * share a root, even from containers sharing one build volume. A build that was killed leaves its
 * folder, perhaps with a chroot's /proc or its overlay mounted: the next build on the same machine
 * unmounts and removes it (a pid means nothing on another machine, so only its own are swept).
 *
 * The folder also keeps how long each image took last time, so the longest builds start first and
 * the run ends sooner: that changes the order of the builds, never what they make.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const RUN_DIR = /^(?:run|scratch)-(.+)-(\d+)$/;
/** What the recipe before per-run folders left at the top of the build folder. */
const OLD_LAYOUT = /^(?:base-.*\.tar(?:\.tmp)?|rootfs-.*|base-[a-z]+)$/;

/** This build's own folder. */
export function runDirFor(buildDir: string, fromScratch: boolean): string {
  return path.join(buildDir, `${fromScratch ? 'scratch' : 'run'}-${os.hostname()}-${process.pid}`);
}

export function sweepStaleRuns(buildDir: string): void {
  if (!fs.existsSync(buildDir)) return;
  for (const entry of fs.readdirSync(buildDir)) {
    const run = RUN_DIR.exec(entry);
    const stale = run ? run[1] === os.hostname() && !processAlive(Number(run[2])) : OLD_LAYOUT.test(entry);
    if (!stale) continue;
    const dir = path.join(buildDir, entry);
    for (const mount of mountsUnder(dir)) execFileSync('umount', ['--lazy', mount]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const prefix = `${fs.realpathSync(dir)}/`;
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') ?? '')
    .filter((mount) => `${mount}/`.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

export class BuildDurations {
  private readonly ms: Record<string, number>;

  constructor(private readonly file: string) {
    let read: unknown;
    try {
      read = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      read = {};
    }
    this.ms = typeof read === 'object' && read !== null ? (read as Record<string, number>) : {};
  }

  /** Longest first; an image never built here goes first of all, since nothing says it is quick. */
  longestFirst<T extends { key: string }>(items: T[]): T[] {
    const weight = (item: T) => this.ms[item.key] ?? Infinity;
    return [...items].sort((a, b) => weight(b) - weight(a));
  }

  record(name: string, ms: number): void {
    this.ms[name] = ms;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(`${this.file}.tmp`, `${JSON.stringify(this.ms, null, 2)}\n`);
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}
