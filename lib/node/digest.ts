import crypto from 'node:crypto';
import type { SourceFile } from '../schemas/common';
import type { Digest } from '../schemas/execution-result';

export function digest(name: string, bytes: Buffer): Digest {
  return { name, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

/** The submitted files as the manifest records them: by path, with their sha256 and size. */
export function fileDigests(files: SourceFile[]): Digest[] {
  return files.map((f) => digest(f.path, Buffer.from(f.content, f.encoding)));
}
