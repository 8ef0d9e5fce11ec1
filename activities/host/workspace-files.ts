import tar from 'tar-stream';
import type { SourceFile } from '../../lib/schemas/common';

/** A tar archive of the request's files, extracted inside the sandbox by the sandbox user. */
export async function packFiles(files: SourceFile[], mtime = new Date(0)): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  // Build outputs, a temp dir that allows exec (/tmp does not) and test reports.
  for (const dir of ['.airlock/', '.airlock/bin/', '.airlock/tmp/', '.airlock/reports/']) {
    pack.entry({ name: dir, type: 'directory', mode: 0o755, mtime: new Date(0) });
  }
  for (const file of files) {
    pack.entry({ name: file.path, mode: 0o644, mtime }, Buffer.from(file.content, file.encoding));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
