/**
 * Paths as E2B programs name them, and as the sandbox steps take them. E2B's home, /home/user,
 * is the workspace (a link to /workspace in every image); relative paths and `~` start there.
 * Nothing outside the workspace is reachable through files: the rest of the root is read-only.
 */
import path from 'node:path';
import { E2B_HOME, WORKSPACE } from '../../lib/containers';
import { relativePathProblem } from '../../lib/relative-path';
import { ConnectError } from './connect';

/** The workspace itself, as a sandbox step names it. */
export const WORKSPACE_ROOT = '.';

/** An E2B path as a step's workspace-relative path (`.` for the workspace itself). */
export function toWorkspacePath(raw: unknown, field = 'path'): string {
  if (raw !== undefined && typeof raw !== 'string')
    throw new ConnectError('invalid_argument', `${field} must be a string`);
  let p = raw ?? '';
  if (p === '' || p === '~') return WORKSPACE_ROOT;
  if (p.startsWith('~/')) p = p.slice(2);
  const absolute = path.posix.normalize(p.startsWith('/') ? p : `${E2B_HOME}/${p}`);
  for (const home of [E2B_HOME, WORKSPACE]) {
    if (absolute === home || absolute === `${home}/`) return WORKSPACE_ROOT;
    if (absolute.startsWith(`${home}/`)) {
      const relative = absolute.slice(home.length + 1).replace(/\/+$/, '');
      const problem = relativePathProblem(relative);
      if (problem) throw new ConnectError('invalid_argument', `${field} ${problem}`);
      return relative;
    }
  }
  throw new ConnectError(
    'invalid_argument',
    `${field} ${p} is outside the workspace: only ${E2B_HOME} (${WORKSPACE}) can be read and written`,
  );
}

/** A step's workspace-relative path as E2B programs see it. */
export function toE2bPath(relative: string): string {
  return relative === WORKSPACE_ROOT ? E2B_HOME : `${E2B_HOME}/${relative}`;
}

/** The path a file step may take: the workspace itself is a directory, never a file. */
export function toFilePath(raw: unknown, field = 'path'): string {
  const p = toWorkspacePath(raw, field);
  if (p === WORKSPACE_ROOT) throw new ConnectError('invalid_argument', `${field} is the workspace directory itself`);
  return p;
}
