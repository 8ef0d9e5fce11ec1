import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { SourceFile } from '../../lib/schemas/common';
import type { FileEntry } from '../../lib/schemas/sandbox';
import { WORKSPACE, containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { superviseCapture, type SupervisedProcessOptions } from '../supervisor/process';
import { withHeartbeat } from './heartbeat';
import { runOnce } from './host-ledger';
import { packFiles } from './workspace-files';
import type { HostActivityDeps } from './types';
import { WRITE_EXIT, writeFailure } from './write-failure';

const FILE_OP_TIMEOUT_MS = 30_000;
const LIST_LIMIT_BYTES = 1024 * 1024;

export interface SandboxFileInput {
  executionId: string;
  path: string;
}

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ReadFile extends WrittenFile {
  contentBase64: string;
}

/** Exit codes of the small shell programs below, each meaning one answer about the path. */
const EXIT = { notFound: 3, notAFile: 4, tooLarge: 5, notEmpty: 6, notADirectory: 7, exists: 8 } as const;

// Each runs as the sandbox user, inside the container: the container's own view of the path
// (symlinks included) is all it can reach, and the host never interprets the path.
const READ = `[ -e "$1" ] || exit ${EXIT.notFound}; [ -f "$1" ] || exit ${EXIT.notAFile}; [ "$(stat -c %s -- "$1")" -le "$2" ] || exit ${EXIT.tooLarge}; exec cat -- "$1"`;
const REMOVE = `[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.notFound}; if [ -d "$1" ] && [ ! -L "$1" ]; then rmdir -- "$1" 2>/dev/null || exit ${EXIT.notEmpty}; else rm -f -- "$1"; fi`;
/**
 * Writes each file whole or not at all: the archive is unpacked into a staging folder in the
 * workspace (the same file system), then each file is renamed onto its path. A write that fails
 * (a full workspace, the file size limit) leaves the old file as it was and no partial one.
 */
const WRITE = `set -u
cd ${WORKSPACE} || exit 1
mkdir -p .airlock/tmp && stage=$(mktemp -d .airlock/tmp/write.XXXXXX) || exit 1
trap 'rm -rf -- "$stage"' EXIT
tar -x -m -f - -C "$stage" || exit $?
for p in "$@"; do
  d=$(dirname -- "$p")
  if [ -e "$d" ] && [ ! -d "$d" ]; then exit ${WRITE_EXIT.parentNotADirectory}; fi
  if [ -d "$p" ] && [ ! -L "$p" ] && [ -n "$(ls -A -- "$p")" ]; then exit ${WRITE_EXIT.targetIsADirectory}; fi
  mkdir -p -- "$d" && mv -f -T -- "$stage/$p" "$p" || exit 1
done`;
const REMOVE_ALL = `rm -rf -- "$1"`;
const MAKE_DIR = `if [ -d "$1" ]; then exit ${EXIT.exists}; elif [ -e "$1" ] || [ -L "$1" ]; then exit ${EXIT.notADirectory}; fi; mkdir -p -- "$1"`;
const MOVE = `[ -e "$1" ] || [ -L "$1" ] || exit ${EXIT.notFound}; mkdir -p -- "$(dirname -- "$2")" && mv -f -T -- "$1" "$2"`;
const LIST = `[ -e "$1" ] || exit ${EXIT.notFound}; [ -d "$1" ] || exit ${EXIT.notADirectory}; exec find "$1" -mindepth 1 -maxdepth 1 -printf '%f\\0%y\\0%s\\0%T@\\0%m\\0%u\\0%g\\0%l\\0'`;

/** Reading, writing, removing and listing files in a sandbox's workspace, one step each. */
export function createSandboxFileActivities({ sandboxes, hostLedger }: HostActivityDeps) {
  /** Each file step is one message to the sandbox's supervisor, running its script as the sandbox user. */
  const inSandbox = async (executionId: string, opts: SupervisedProcessOptions) =>
    superviseCapture(await sandboxes.get(containerNameFor(executionId)), opts);
  // A retried removal must not answer "not found" for what its own first attempt removed.
  const once = <T>(run: (signal: AbortSignal) => Promise<T>) => runOnce(hostLedger, run);

  async function writeSandboxFiles(input: { executionId: string; files: SourceFile[] }): Promise<WrittenFile[]> {
    return withHeartbeat(async () => {
      const paths = input.files.map((f) => f.path);
      const { result: written } = await inSandbox(input.executionId, {
        argv: ['sh', '-c', WRITE, 'sh', ...paths],
        stdin: await packFiles(input.files, new Date()),
        timeoutMs: FILE_OP_TIMEOUT_MS,
        outputBytes: 64 * 1024,
      });
      if (written.exitCode !== 0) {
        const { type, message } = writeFailure(written, paths.join(', '));
        throw ApplicationFailure.nonRetryable(message, type);
      }
      return input.files.map((f) => {
        const bytes = Buffer.from(f.content, f.encoding);
        return { path: f.path, bytes: bytes.length, sha256: sha256(bytes) };
      });
    });
  }

  async function readSandboxFile(input: SandboxFileInput & { maxBytes: number }): Promise<ReadFile> {
    return withHeartbeat(async () => {
      const { result, stdoutBytes } = await inSandbox(input.executionId, {
        argv: ['sh', '-c', READ, 'sh', input.path, String(input.maxBytes)],
        timeoutMs: FILE_OP_TIMEOUT_MS,
        outputBytes: input.maxBytes + 1,
      });
      failOnExit(result.exitCode, input.path, result.stderr, `is over ${input.maxBytes} bytes`);
      return {
        path: input.path,
        bytes: stdoutBytes.length,
        sha256: sha256(stdoutBytes),
        contentBase64: stdoutBytes.toString('base64'),
      };
    });
  }

  /** One short program on a path (and its arguments), failing with what its exit code means. */
  async function onPath(input: SandboxFileInput, script: string, ...args: string[]): Promise<void> {
    const { result } = await inSandbox(input.executionId, {
      argv: ['sh', '-c', script, 'sh', input.path, ...args],
      timeoutMs: FILE_OP_TIMEOUT_MS,
      outputBytes: 64 * 1024,
    });
    failOnExit(result.exitCode, input.path, result.stderr);
  }

  async function removeSandboxPath(input: SandboxFileInput & { recursive?: boolean }): Promise<void> {
    await once(() => onPath(input, input.recursive ? REMOVE_ALL : REMOVE));
  }

  // Its retry finds the directory its first attempt made: answered once, from the ledger.
  async function makeSandboxDirectory(input: SandboxFileInput): Promise<void> {
    await once(() => onPath(input, MAKE_DIR));
  }

  async function moveSandboxPath(input: SandboxFileInput & { destination: string }): Promise<void> {
    await once(() => onPath(input, MOVE, input.destination));
  }

  async function listSandboxDirectory(input: SandboxFileInput): Promise<FileEntry[]> {
    return withHeartbeat(async () => {
      const { result, stdoutBytes } = await inSandbox(input.executionId, {
        argv: ['sh', '-c', LIST, 'sh', input.path],
        timeoutMs: FILE_OP_TIMEOUT_MS,
        outputBytes: LIST_LIMIT_BYTES,
      });
      failOnExit(result.exitCode, input.path, result.stderr);
      return parseListing(stdoutBytes.toString('utf8'));
    });
  }

  return {
    writeSandboxFiles,
    readSandboxFile,
    removeSandboxPath,
    makeSandboxDirectory,
    moveSandboxPath,
    listSandboxDirectory,
  };
}

function failOnExit(exitCode: number | null, path: string, stderr: string, tooLarge = 'is too large'): void {
  if (exitCode === 0) return;
  const known: Record<number, [string, string]> = {
    [EXIT.notFound]: ['does not exist', ErrorType.FileNotFound],
    [EXIT.notAFile]: ['is not a regular file', ErrorType.NotAFile],
    [EXIT.tooLarge]: [tooLarge, ErrorType.FileTooLarge],
    [EXIT.notEmpty]: ['is a directory that is not empty', ErrorType.DirectoryNotEmpty],
    [EXIT.notADirectory]: ['is not a directory', ErrorType.NotADirectory],
    [EXIT.exists]: ['exists already', ErrorType.AlreadyExists],
  };
  const [message, type] = known[exitCode ?? -1] ?? [
    `could not be accessed: ${stderr.slice(0, 500)}`,
    ErrorType.Internal,
  ];
  throw ApplicationFailure.nonRetryable(`${path} ${message}`, type);
}

const TYPES: Record<string, FileEntry['type']> = { f: 'file', d: 'directory', l: 'symlink' };

const LISTING_FIELDS = 8;

/** `find -printf` name, type, size, mtime, mode, owner, group, link target: NUL-separated, so any name survives. */
export function parseListing(text: string): FileEntry[] {
  const fields = text.split('\0');
  const entries: FileEntry[] = [];
  for (let i = 0; i + LISTING_FIELDS - 1 < fields.length; i += LISTING_FIELDS) {
    const type = TYPES[fields[i + 1]!] ?? 'other';
    entries.push({
      name: fields[i]!,
      type,
      bytes: Number(fields[i + 2]),
      modifiedAt: new Date(Math.round(Number(fields[i + 3]) * 1000)).toISOString(),
      mode: parseInt(fields[i + 4]!, 8),
      owner: fields[i + 5]!,
      group: fields[i + 6]!,
      ...(type === 'symlink' ? { symlinkTarget: fields[i + 7]! } : {}),
    });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
