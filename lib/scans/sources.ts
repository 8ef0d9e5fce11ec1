import type { SourceFile } from '../schemas/common';

/** Submitted files as text for the scanners; binary content decodes lossily, which pattern matching tolerates. */
export function sourceTexts(files: SourceFile[]): Array<{ path: string; text: string }> {
  return files.map((f) => ({ path: f.path, text: Buffer.from(f.content, f.encoding).toString('utf8') }));
}
