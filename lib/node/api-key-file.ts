/**
 * Where the local clients (the CLI, the MCP server on stdio, bench/, scripts/) find their API key
 * when none is given: `$AIRLOCK_API_KEY`, else the file the embedded service saves its first key in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from './paths';

/** Where the embedded service saves its first key (`airlock keys bootstrap`). */
export const DEFAULT_KEY_FILE = path.join(STATE_DIR, 'api-key');

/** `explicit` (say, `--key`), else `$AIRLOCK_API_KEY`, else the embedded default's key file. */
export function resolveApiKey(explicit?: string): string | undefined {
  if (explicit) return explicit;
  if (process.env.AIRLOCK_API_KEY) return process.env.AIRLOCK_API_KEY;
  try {
    return fs.readFileSync(DEFAULT_KEY_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
