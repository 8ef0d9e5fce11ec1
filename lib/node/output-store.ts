import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { OutputRef, ProcessResult } from '../schemas/execution-result';

/** A stored output, opened for reading: it stays readable even if a sweep removes it meanwhile. */
export interface StoredOutput {
  bytes: number;
  stream: Readable;
}

/**
 * Where stage outputs too long for a result are kept, by the sha256 of their content. Hosts write
 * (after the output gate), the API reads; in a deployment of several machines it is one volume
 * they all mount.
 */
export interface OutputStore {
  put(content: Buffer): Promise<OutputRef>;
  /** Null when nothing is stored under that digest (never stored, or swept). */
  open(sha256: string): Promise<StoredOutput | null>;
  /** Removes outputs last stored longer ago than `olderThanMs`; answers how many. */
  sweep(olderThanMs: number, now?: number): Promise<number>;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** A write that never got renamed into place (its process died) is left this long before a sweep takes it. */
const ABANDONED_WRITE_MS = 60 * 60_000;

/**
 * The store as files: `<dir>/<first two hex digits>/<sha256>`. A write goes to a temporary file in
 * the same directory, is synced, then renamed into place, so a reader never sees half an output;
 * the same content stored again only renews its time, which is what retention counts from.
 */
export class FileOutputStore implements OutputStore {
  constructor(readonly dir: string) {}

  async put(content: Buffer): Promise<OutputRef> {
    const sha256 = crypto.createHash('sha256').update(content).digest('hex');
    const ref = { sha256, bytes: content.length };
    const file = this.pathOf(sha256);
    const now = new Date();
    try {
      await fs.utimes(file, now, now);
      return ref;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${crypto.randomUUID()}.tmp`;
    const handle = await fs.open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file).catch(async (err: unknown) => {
      await fs.rm(temporary, { force: true });
      throw err;
    });
    return ref;
  }

  async open(sha256: string): Promise<StoredOutput | null> {
    if (!SHA256.test(sha256)) return null;
    const handle = await fs.open(this.pathOf(sha256), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!handle) return null;
    try {
      const { size } = await handle.stat();
      return { bytes: size, stream: handle.createReadStream({ autoClose: true }) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async sweep(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const shard of await listDir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const shardDir = path.join(this.dir, shard);
      for (const name of await listDir(shardDir)) {
        const file = path.join(shardDir, name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (!stat?.isFile()) continue;
        const maxAge = name.endsWith('.tmp') ? Math.min(olderThanMs, ABANDONED_WRITE_MS) : olderThanMs;
        if (now - stat.mtimeMs <= maxAge) continue;
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  private pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }
}

async function listDir(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

/**
 * The longest prefix of `text` that is at most `maxBytes` as UTF-8, cut between characters: the
 * preview a result keeps of a stored stream. A prefix, so live output that already went out as
 * chunks continues it exactly.
 */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back to the first byte of the character the cut would split (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * A finished process as its result carries it: each stream longer than `previewBytes` (or than
 * `inlineBytes`, a case's share of the cases' budget) is stored whole and cut to its first bytes,
 * with `stdoutRef`/`stderrRef` naming the whole; a stream that fits gets a null ref. Call it only on
 * output the output gate has passed: what is stored is served as it is. When the store fails, the
 * stream stays in the result (cut to `inlineBytes` if given, and marked truncated, as before outputs
 * were stored): a larger history rather than a lost output.
 */
export async function storeLongOutputs(
  result: ProcessResult,
  store: OutputStore,
  previewBytes: number,
  opts: { inlineBytes?: number; onStoreFailed?: (stream: 'stdout' | 'stderr', err: unknown) => void } = {},
): Promise<ProcessResult> {
  const inlineBytes = opts.inlineBytes ?? Number.POSITIVE_INFINITY;
  const keep = Math.min(inlineBytes, previewBytes);
  const kept = { ...result };
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = result[stream];
    const content = Buffer.from(text, 'utf8');
    let ref: OutputRef | null = null;
    if (content.length > keep) {
      try {
        ref = await store.put(content);
        kept[stream] = utf8Prefix(text, keep);
      } catch (err) {
        opts.onStoreFailed?.(stream, err);
        if (content.length > inlineBytes) {
          kept[stream] = utf8Prefix(text, inlineBytes);
          kept[`${stream}Truncated`] = true;
        }
      }
    }
    kept[`${stream}Ref`] = ref;
  }
  return kept;
}

/** Sweeps the store at once and then every `intervalMs`, in the background. */
export function startOutputSweeper(opts: {
  store: OutputStore;
  maxAgeMs: number;
  intervalMs: number;
  onSwept: (removed: number) => void;
  onError: (err: unknown) => void;
}): { stop(): void } {
  const sweep = (): void => void opts.store.sweep(opts.maxAgeMs).then((removed) => opts.onSwept(removed), opts.onError);
  sweep();
  const timer = setInterval(sweep, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
