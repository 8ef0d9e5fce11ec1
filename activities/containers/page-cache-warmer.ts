import fs from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { IMAGE_LABELS } from '../../lib/containers';
import type { Logger } from '../../lib/node/logger';

export interface WarmStats {
  images: number;
  files: number;
  bytes: number;
  ms: number;
  /** Images whose files this process cannot see (another storage driver, or the image store not mounted), by tag. */
  skipped: string[];
}

const CHUNK_BYTES = 1 << 20;
const READERS = 8;

/**
 * Reads every file of Airlock's images once, from the host. A page is charged to the cgroup that
 * first brings it into the page cache, so without this the first sandbox of a runtime pays for
 * that runtime's libraries out of its own memory limit. Near the limit it then evicts and re-reads
 * them instead of being OOM-killed: measured on this kind of host, a Node memory bomb at 96 MiB
 * thrashed for 9–11 s on a cold cache and was killed in 0.4 s on a warm one, and the thrashing
 * loads the host's disk. Warmed from the host, those pages belong to the host.
 */
export async function warmImagePageCache(docker: Docker, log?: Logger): Promise<WarmStats> {
  const started = Date.now();
  const stats: WarmStats = { images: 0, files: 0, bytes: 0, ms: 0, skipped: [] };
  const files: string[] = [];
  const images = await docker.listImages({ filters: { label: [IMAGE_LABELS.definitionSha256] } });
  // An image no tag names any more (replaced by a rebuild, kept while a container uses it) gets no new sandbox.
  for (const summary of images.filter(isTagged)) {
    const { GraphDriver } = await docker.getImage(summary.Id).inspect();
    const layers = GraphDriver.Name === 'overlay2' ? layerDirs(GraphDriver.Data) : [];
    const found = (await Promise.all(layers.map(filesUnder))).flat();
    // Another storage driver, or (in a container) Docker's image store is not mounted.
    if (found.length === 0) {
      stats.skipped.push(summary.RepoTags?.[0] ?? summary.Id);
      continue;
    }
    files.push(...found);
    stats.images++;
  }
  // Several reads in flight: per-file overhead, not bandwidth, dominates (~100k files).
  let next = 0;
  const reader = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    while (next < files.length) {
      const bytes = await readThrough(files[next++]!, buffer);
      stats.bytes += bytes;
      stats.files++;
    }
  };
  await Promise.all(Array.from({ length: READERS }, reader));
  stats.ms = Date.now() - started;
  log?.info(stats, 'image files warmed into the page cache');
  return stats;
}

/** An image some tag still names: `RepoTags` empty, or only `<none>:<none>`, is an untagged leftover. */
export function isTagged(image: Docker.ImageInfo): boolean {
  return (image.RepoTags ?? []).some((t) => t !== '<none>:<none>');
}

function layerDirs(data: Record<string, string> | undefined): string[] {
  if (!data) return [];
  return [data.UpperDir, ...(data.LowerDir ?? '').split(':')].filter((d): d is string => Boolean(d));
}

async function filesUnder(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return []; // a layer removed meanwhile: nothing to warm
  }
  const out: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Reads a file to its end and forgets it; returns the bytes read. */
async function readThrough(file: string, buffer: Buffer): Promise<number> {
  let handle: fs.FileHandle | undefined;
  let total = 0;
  try {
    handle = await fs.open(file, 'r');
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return total;
      total += bytesRead;
    }
  } catch {
    return total;
  } finally {
    await handle?.close();
  }
}
