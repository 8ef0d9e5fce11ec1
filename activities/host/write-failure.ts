/**
 * Why a sandbox file write failed, from what the write script (sandbox-files.ts) and the tools it
 * runs said, or what the supervisor's launcher said: each cause its own error type, so the API can
 * answer a full workspace differently from a client's bad path.
 */
import type { ProcessResult } from '../../lib/schemas/execution-result';
import { ErrorType } from '../../lib/errors';

/** Exit codes the write script gives the causes it checks for itself. */
export const WRITE_EXIT = { parentNotADirectory: 7, targetIsADirectory: 8 } as const;
/** 128 + SIGXFSZ: the kernel stops a write past RLIMIT_FSIZE by killing the writer. */
const KILLED_BY_SIGXFSZ = 153;

export interface WriteFailure {
  type: ErrorType;
  message: string;
}

/**
 * What the tools print is strerror's text, whichever tool failed (tar, mkdir, mv, mktemp); the
 * launcher prints Go's, which is the same text in lower case.
 */
const BY_ERRNO: Array<[RegExp, ErrorType, string]> = [
  [/No space left on device|Disk quota exceeded/i, ErrorType.WorkspaceFull, 'does not fit: the workspace is full'],
  [/File too large/i, ErrorType.FileTooLarge, "is over the sandbox's file size limit"],
  [/Read-only file system/i, ErrorType.ReadOnlyPath, 'is on a read-only file system'],
  [/Permission denied|Operation not permitted/i, ErrorType.PermissionDenied, 'is not writable by the sandbox user'],
  [/Too many levels of symbolic links/i, ErrorType.SymlinkLoop, 'goes through a loop of symbolic links'],
  [/Not a directory/i, ErrorType.NotADirectory, 'has a parent that is not a directory'],
  [
    /Is a directory|cannot overwrite directory|file exists/i,
    ErrorType.IsADirectory,
    'is a directory that is not empty',
  ],
];

export function writeFailure(
  result: Pick<ProcessResult, 'exitCode' | 'signal' | 'stderr'>,
  path: string,
): WriteFailure {
  const { exitCode, signal, stderr } = result;
  if (exitCode === WRITE_EXIT.parentNotADirectory)
    return { type: ErrorType.NotADirectory, message: `${path} has a parent that is not a directory` };
  if (exitCode === WRITE_EXIT.targetIsADirectory)
    return { type: ErrorType.IsADirectory, message: `${path} is a directory that is not empty` };
  if (signal === 'SIGXFSZ' || exitCode === KILLED_BY_SIGXFSZ)
    return { type: ErrorType.FileTooLarge, message: `${path} is over the sandbox's file size limit` };
  return (
    byErrno(stderr, path) ?? {
      type: ErrorType.Internal,
      message: `writing ${path} failed (exit ${exitCode ?? signal}): ${stderr.trim().slice(0, 1000)}`,
    }
  );
}

/** Why the supervisor's launcher could not write a request's files, from its own account. */
export function launchWriteFailure(setup: string, path: string): WriteFailure {
  return (
    byErrno(setup, path) ?? { type: ErrorType.Internal, message: `writing ${path} failed: ${setup.slice(0, 1000)}` }
  );
}

function byErrno(text: string, path: string): WriteFailure | undefined {
  const found = BY_ERRNO.find(([pattern]) => pattern.test(text));
  return found && { type: found[1], message: `${path} ${found[2]}` };
}
