import path from 'node:path';
import type { SourceFile } from '../schemas/common';

export interface CommandContext {
  entrypoint: string | null;
  testFiles: SourceFile[];
}

/** Values for the manifest placeholders (see PLACEHOLDERS in schemas/runtime). */
export function placeholderValues({ entrypoint, testFiles }: CommandContext): Record<string, string> {
  const testEntrypoint = entrypoint ?? testFiles[0]?.path ?? '';
  const anchor = entrypoint ?? testEntrypoint;
  const stem = entrypoint ? entrypoint.slice(0, entrypoint.length - path.posix.extname(entrypoint).length) : '';
  return {
    entrypoint: entrypoint ?? '',
    entrypointDir: anchor ? path.posix.dirname(anchor) : '.',
    entrypointStem: stem,
    entrypointClass: stem.replaceAll('/', '.'),
    testEntrypoint,
  };
}

/** The argv with every `{placeholder}` filled in; each argument stays one argument, so nothing is re-split by a shell. */
export function fillCommand(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((arg) => arg.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => values[key] ?? whole));
}
