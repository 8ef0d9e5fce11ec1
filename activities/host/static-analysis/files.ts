/**
 * Which submitted files an analyzer reads: every file of the language, whatever its name. That is
 * any file with one of the language's extensions, any file whose `#!` line names its interpreter,
 * and the entrypoint, which runs whatever it is called (`"entrypoint": "prog"`).
 */
import type { SourceFile } from '../../../lib/schemas/common';

interface LanguageFiles {
  extensions: string[];
  /** Matched against a `#!` first line. */
  interpreter?: RegExp;
}

const JAVASCRIPT = ['.js', '.mjs', '.cjs', '.jsx'];

export const LANGUAGE_FILES: Record<string, LanguageFiles> = {
  python: { extensions: ['.py', '.pyw', '.pyi'], interpreter: /\bpython[0-9.]*\b/ },
  bash: { extensions: ['.sh', '.bash', '.bats'], interpreter: /\b(?:ba|da|k|z)?sh\b|\bbats\b/ },
  javascript: { extensions: JAVASCRIPT, interpreter: /\bnode(?:js)?\b/ },
  // A TypeScript program may require plain JavaScript beside it.
  typescript: { extensions: ['.ts', '.mts', '.cts', '.tsx', ...JAVASCRIPT], interpreter: /\b(?:node|ts-node|tsx)\b/ },
  c: { extensions: ['.c', '.h'] },
  cpp: { extensions: ['.cpp', '.cc', '.cxx', '.c++', '.hpp', '.hh', '.hxx', '.h', '.c'] },
};

function shebang(file: SourceFile): string | null {
  const head = Buffer.from(file.content.slice(0, 512), file.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
  return head.startsWith('#!') ? (head.split('\n')[0] ?? null) : null;
}

/** The paths of `files` the language's analyzer must read, in submission order. */
export function filesToAnalyze(language: string, files: SourceFile[], entrypoint: string | null | undefined): string[] {
  const spec = LANGUAGE_FILES[language];
  if (!spec) return [];
  return files
    .filter((f) => {
      if (f.path === entrypoint) return true;
      const dot = f.path.lastIndexOf('.');
      const ext = dot > f.path.lastIndexOf('/') ? f.path.slice(dot).toLowerCase() : '';
      if (spec.extensions.includes(ext)) return true;
      const line = spec.interpreter ? shebang(f) : null;
      return line !== null && spec.interpreter!.test(line);
    })
    .map((f) => f.path);
}
