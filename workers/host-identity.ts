import type Docker from 'dockerode';

/** A stable id for this Docker host: configured, or the engine's own name. Safe in a queue name. */
export async function resolveHostId(docker: Docker, configured: string | undefined): Promise<string> {
  const raw = configured ?? ((await docker.info()) as { Name?: string }).Name ?? 'local';
  const id = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!id) throw new Error(`cannot derive a host id from "${raw}"; set AIRLOCK_HOST_ID`);
  return id;
}
