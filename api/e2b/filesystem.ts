/**
 * envd's `filesystem.Filesystem` service over sandbox file steps. Paths are E2B's (api/e2b/paths.ts);
 * entries carry their absolute path under /home/user.
 */
import path from 'node:path';
import type { FileEntry } from '../../lib/schemas/sandbox';
import { ConnectError } from './connect';
import { WORKSPACE_ROOT, toE2bPath, toFilePath, toWorkspacePath } from './paths';
import { fileStep, type SandboxCall } from './steps';

/** The most entries one ListDir answers: a deep tree is walked one directory (one step) at a time. */
const MAX_LIST_ENTRIES = 10_000;
const MAX_DEPTH = 16;

const FILE_TYPES: Record<FileEntry['type'], string> = {
  file: 'FILE_TYPE_FILE',
  directory: 'FILE_TYPE_DIRECTORY',
  symlink: 'FILE_TYPE_SYMLINK',
  // The SDKs drop entries of an unspecified type: a device or socket is not a file they can use.
  other: 'FILE_TYPE_UNSPECIFIED',
};

/** `drwxr-xr-x`, as `ls -l` writes it. */
function permissions(type: FileEntry['type'], mode: number): string {
  const kind = type === 'directory' ? 'd' : type === 'symlink' ? 'l' : '-';
  const bits = 'rwxrwxrwx'.replace(/./g, (c, i: number) => (mode & (1 << (8 - i)) ? c : '-'));
  return kind + bits;
}

function entryInfo(parent: string, e: FileEntry) {
  const relative = parent === WORKSPACE_ROOT ? e.name : `${parent}/${e.name}`;
  const mode = e.mode ?? 0;
  return {
    name: e.name,
    type: FILE_TYPES[e.type],
    path: toE2bPath(relative),
    size: String(e.bytes),
    mode,
    permissions: permissions(e.type, mode),
    owner: e.owner ?? '',
    group: e.group ?? '',
    modifiedTime: e.modifiedAt,
    ...(e.symlinkTarget !== undefined ? { symlinkTarget: e.symlinkTarget } : {}),
  };
}
type EntryInfo = ReturnType<typeof entryInfo>;

async function list(call: SandboxCall, dir: string): Promise<FileEntry[]> {
  return (await fileStep(call, { kind: 'list_files', path: dir })).entries ?? [];
}

/** A path's entry, from a listing of its parent (the workspace itself is a directory). */
async function stat(call: SandboxCall, relative: string): Promise<EntryInfo> {
  if (relative === WORKSPACE_ROOT) {
    return {
      ...entryInfo(WORKSPACE_ROOT, {
        name: 'user',
        type: 'directory',
        bytes: 0,
        modifiedAt: new Date(0).toISOString(),
      }),
      path: toE2bPath(WORKSPACE_ROOT),
    };
  }
  const parent = path.posix.dirname(relative);
  const name = path.posix.basename(relative);
  const entries = await list(call, parent).catch((err: unknown) => {
    // A parent that is missing or a file: the path itself does not exist.
    if (err instanceof ConnectError && (err.code === 'not_found' || err.code === 'invalid_argument')) return [];
    throw err;
  });
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new ConnectError('not_found', `${toE2bPath(relative)} does not exist`);
  return entryInfo(parent, entry);
}

export type RpcHandler = (call: SandboxCall, message: Record<string, unknown>) => Promise<unknown>;

export const filesystemRpc: Record<string, RpcHandler> = {
  async Stat(call, { path: p }) {
    return { entry: await stat(call, toWorkspacePath(p)) };
  },

  async ListDir(call, { path: p, depth }) {
    const root = toWorkspacePath(p);
    const maxDepth = Math.min(MAX_DEPTH, Math.max(1, Number(depth ?? 1) || 1));
    const out: EntryInfo[] = [];
    const walk = async (dir: string, level: number): Promise<void> => {
      for (const e of await list(call, dir)) {
        if (out.length >= MAX_LIST_ENTRIES) {
          throw new ConnectError('resource_exhausted', `more than ${MAX_LIST_ENTRIES} entries; list a smaller tree`);
        }
        out.push(entryInfo(dir, e));
        if (e.type === 'directory' && level < maxDepth) {
          await walk(dir === WORKSPACE_ROOT ? e.name : `${dir}/${e.name}`, level + 1);
        }
      }
    };
    await walk(root, 1);
    return { entries: out };
  },

  async MakeDir(call, { path: p }) {
    const relative = toFilePath(p);
    try {
      await fileStep(call, { kind: 'make_dir', path: relative });
    } catch (err) {
      // envd's answer for a path that is a file: the argument is wrong, not the server.
      if (err instanceof ConnectError && err.code === 'invalid_argument') {
        throw new ConnectError('invalid_argument', `${toE2bPath(relative)} exists and is not a directory`);
      }
      throw err;
    }
    return { entry: await stat(call, relative) };
  },

  async Move(call, { source, destination }) {
    const from = toFilePath(source, 'source');
    const to = toFilePath(destination, 'destination');
    await fileStep(call, { kind: 'move_path', path: from, destination: to });
    return { entry: await stat(call, to) };
  },

  // envd removes recursively, and a missing path is no error.
  async Remove(call, { path: p }) {
    await fileStep(call, { kind: 'delete_file', path: toFilePath(p), recursive: true });
    return {};
  },
};

const NO_WATCH = 'directory watching is not supported on Airlock yet (docs/e2b.md)';
for (const method of ['CreateWatcher', 'GetWatcherEvents', 'RemoveWatcher']) {
  filesystemRpc[method] = () => Promise.reject(new ConnectError('unimplemented', NO_WATCH));
}
export const WATCH_UNSUPPORTED = NO_WATCH;
