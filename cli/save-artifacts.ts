import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import type { Airlock } from '../sdk/src';

/**
 * `airlock run --artifacts DIR`: writes the result's typed artifacts under DIR by their workspace
 * names (a chart as `DIR/.airlock/figures/figure-1.png`), each checked against its sha256 by the SDK.
 * A name that would leave DIR is refused, and no link is followed at the file itself. Answers
 * whether every artifact was saved; a withheld one is reported, not saved.
 */
export async function saveArtifacts(client: Airlock, result: ExecutionResult, dir: string): Promise<boolean> {
  const note = (message: string): void => void process.stderr.write(`airlock: ${message}\n`);
  const root = path.resolve(dir);
  let saved = 0;
  let ok = true;
  for (const artifact of result.artifacts ?? []) {
    const target = path.resolve(root, artifact.name);
    if (!target.startsWith(`${root}${path.sep}`)) {
      note(`artifact ${JSON.stringify(artifact.name)} not saved: its name leaves ${dir}`);
      ok = false;
      continue;
    }
    if (artifact.withheld !== null) {
      note(`artifact ${artifact.name} not saved: withheld (${artifact.withheld})`);
      continue;
    }
    try {
      const bytes = await client.executions.artifact(result.id, artifact);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const fd = fs.openSync(
        target,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW,
        0o644,
      );
      try {
        fs.writeSync(fd, bytes);
      } finally {
        fs.closeSync(fd);
      }
      saved++;
    } catch (err) {
      note(`artifact ${artifact.name} not saved: ${err instanceof Error ? err.message : String(err)}`);
      ok = false;
    }
  }
  if (saved > 0) note(`saved ${saved} artifact${saved === 1 ? '' : 's'} in ${dir}`);
  return ok;
}
