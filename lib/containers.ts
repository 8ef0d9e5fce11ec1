/** Labels on every sandbox container; the reaper finds its work by them. */
export const LABELS = {
  managed: 'io.airlock.managed',
  cluster: 'io.airlock.cluster',
  execution: 'io.airlock.execution',
  host: 'io.airlock.host',
  /** Epoch milliseconds after which the container is overdue whatever its execution says. */
  deadline: 'io.airlock.deadline',
  /** On warm-pool containers: the profile key they were made for. Labels cannot change later, so a
   * claimed pool container keeps it and is known by its name alone. */
  pool: 'io.airlock.pool',
} as const;

/** Warm-pool containers are named with this prefix until an execution claims one by renaming it. */
export const POOL_NAME_PREFIX = 'airlock-pool-';
const EXECUTION_NAME_PREFIX = 'airlock-';

/** Image labels written by the image build. */
export const IMAGE_LABELS = {
  runtime: 'io.airlock.runtime',
  definitionSha256: 'io.airlock.definition-sha256',
  runtimeVersion: 'io.airlock.runtime-version',
  /** A template's image: its id, its spec's sha256 and its tenant (set by the build, never by the spec). */
  template: 'io.airlock.template',
  templateSha256: 'io.airlock.template-sha256',
  templateTenant: 'io.airlock.template-tenant',
} as const;

/**
 * Derived from the execution id alone, so teardown and the reaper can find a container
 * even when provision's result never reached the workflow.
 */
export function containerNameFor(executionId: string): string {
  return `${EXECUTION_NAME_PREFIX}${executionId}`;
}

/** The execution a container belongs to by its name, or undefined for an unclaimed pool container. */
export function executionIdFromName(name: string): string | undefined {
  const bare = name.replace(/^\//, '');
  if (bare.startsWith(POOL_NAME_PREFIX) || !bare.startsWith(EXECUTION_NAME_PREFIX)) return undefined;
  return bare.slice(EXECUTION_NAME_PREFIX.length) || undefined;
}

/** A runtime version's image (`airlock/python:3.13`); a tool image, which has one version, is `latest`. */
export function imageTagFor(name: string, version = 'latest'): string {
  return `airlock/${name}:${version}`;
}

/** The sandbox's working directory, a tmpfs. */
export const WORKSPACE = '/workspace';
/** E2B's home directory: a link to the workspace in every runtime image. */
export const E2B_HOME = '/home/user';
export const SANDBOX_USER = '10001:10001';
/** Where the supervisor is mounted in every sandbox: what the container runs. */
export const SUPERVISOR_PATH = '/opt/airlock/supervisor';

/** tmpfs is charged to the memory cgroup, so together the mounts stay well under the memory limit. */
export function tmpfsSizes(memoryMb: number): { workspaceMb: number; tmpMb: number; shmMb: number } {
  return {
    workspaceMb: Math.max(1, Math.floor(memoryMb / 4)),
    tmpMb: Math.max(1, Math.floor(memoryMb / 8)),
    shmMb: Math.max(1, Math.floor(memoryMb / 16)),
  };
}
