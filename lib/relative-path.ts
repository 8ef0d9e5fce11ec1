// Plain rules (no zod) so the workflows' update validators can apply them too.

/** Why `p` is not a safe path inside the workspace, or null when it is. */
export function relativePathProblem(p: string): string | null {
  if (typeof p !== 'string') return 'must be a string';
  if (p.length === 0) return 'must not be empty';
  if (p.length > 255) return 'must be at most 255 characters';
  if (p.includes('\0')) return 'must not contain NUL';
  if (p.startsWith('/')) return 'must be relative';
  if (p.includes('\\')) return 'must use forward slashes';
  if (!p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'))
    return 'must not contain empty, . or .. segments';
  return null;
}

/** Why `p` is not a directory to list in the workspace (`.` is the workspace itself), or null. */
export function directoryProblem(p: string): string | null {
  return p === '.' ? null : relativePathProblem(p);
}
