/** Labels on every sandbox container; the reaper finds its work by them. */
export const LABELS = {
  managed: 'io.airlock.managed',
  cluster: 'io.airlock.cluster',
  execution: 'io.airlock.execution',
  host: 'io.airlock.host',
  /** Epoch milliseconds after which the container is overdue whatever its execution says. */
  deadline: 'io.airlock.deadline',
} as const;

/** Image labels written by the image build. */
export const IMAGE_LABELS = {
  runtime: 'io.airlock.runtime',
  definitionSha256: 'io.airlock.definition-sha256',
  runtimeVersion: 'io.airlock.runtime-version',
} as const;

/**
 * Derived from the execution id alone, so teardown and the reaper can find a container
 * even when provision's result never reached the workflow.
 */
export function containerNameFor(executionId: string): string {
  return `airlock-${executionId}`;
}

export function imageTagFor(runtime: string): string {
  return `airlock/${runtime}:latest`;
}

/** The sandbox's working directory, a tmpfs. */
export const WORKSPACE = '/workspace';
export const SANDBOX_USER = '10001:10001';
