import tar from 'tar-stream';
import type { SourceFile } from '../../lib/schemas/common';

/** One entry of a tar archive: a directory, or a file with its content. */
export interface TarEntry {
  name: string;
  type?: 'file' | 'directory';
  mode: number;
  mtime: Date;
  uid?: number;
  gid?: number;
  content?: Buffer;
}

/** A tar archive of `entries`, in order, in memory (what the engine's putArchive and the supervisor take). */
export async function packTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    if (content === undefined) pack.entry(header);
    else pack.entry(header, content);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A tar archive of the request's files, extracted inside the sandbox by the sandbox user. */
export async function packFiles(files: SourceFile[], mtime = new Date(0)): Promise<Buffer> {
  // Build outputs, a temp dir that allows exec (/tmp does not) and test reports.
  const dirs = ['.airlock/', '.airlock/bin/', '.airlock/tmp/', '.airlock/reports/'].map((name): TarEntry => ({
    name,
    type: 'directory',
    mode: 0o755,
    mtime: new Date(0),
  }));
  return packTar([
    ...dirs,
    ...files.map((file) => ({
      name: file.path,
      mode: 0o644,
      mtime,
      content: Buffer.from(file.content, file.encoding),
    })),
  ]);
}
