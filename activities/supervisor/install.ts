import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/node/paths';

/** Where `npm run build` puts the supervisor (scripts/build-supervisor.sh). */
export const BUILT_SUPERVISOR = path.join(PROJECT_ROOT, 'dist', 'supervisor', 'airlock-supervisor');

/**
 * Copies the built supervisor into `dir` under a name made from its hash, and returns that path:
 * what sandbox containers mount. A file of that name is never rewritten, so containers of an
 * older worker keep the binary they started with.
 */
export async function installSupervisor(dir: string, built = BUILT_SUPERVISOR): Promise<string> {
  const binary = await fs.readFile(built).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`the supervisor is not built (${built}: ${err.code ?? err.message}); run npm run build`);
  });
  const sha = crypto.createHash('sha256').update(binary).digest('hex').slice(0, 16);
  const target = path.resolve(dir, `airlock-supervisor-${sha}`);
  if (
    await fs.access(target).then(
      () => true,
      () => false,
    )
  )
    return target;
  await fs.mkdir(dir, { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await fs.writeFile(temporary, binary, { mode: 0o755 });
  await fs.rename(temporary, target);
  return target;
}
