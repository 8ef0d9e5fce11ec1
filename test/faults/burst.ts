import type Docker from 'dockerode';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { POOL_NAME_PREFIX } from '../../lib/containers';
import type { Airlock } from '../../sdk/src';
import { idempotentExecutionId } from '../../lib/node/execution-ids';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { HOST, STATUS, TENANT } from '../../lib/search-attributes';
import { MultiHostCluster } from '../support/multi-host-cluster';
import { FAST_SQLITE_PRAGMAS } from '../support/temporal-server';
import { containersWithLabels } from '../support/docker';
import { loadRuntimes } from '../../lib/node/runtimes';

/**
 * Makes this run's idempotency keys, and so its execution ids and container names, its own: the
 * engines outlive a run, and a container another checkout's run left behind would hold the name.
 */
export const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** Two hosts, the second on the faults suite's own engine, with the Python image on both. */
export function startFaultsCluster(name: string): Promise<MultiHostCluster> {
  return MultiHostCluster.start({
    name,
    engine: 'faults',
    images: [loadRuntimes().get('python')!.tag],
    sqlitePragmas: FAST_SQLITE_PRAGMAS,
  });
}

/** What became of one execution, read from Temporal rather than from the API under test. */
export interface Outcome {
  id: string;
  /** The workflow's own status: COMPLETED whenever it produced a result, whatever the execution's status. */
  workflowStatus: string;
  status: string;
  host: string | null;
  /** Set for every execution that did not succeed. */
  error: ExecutionResult['error'];
  startedAt: number;
  closedAt: number;
}

/**
 * Submits `count` trivial programs at once through the SDK, each with its own Idempotency-Key,
 * which the SDK reuses on every retry. Resolves to the ids, checked against the ids the keys name.
 */
export async function submitBurst(
  airlock: Airlock,
  tenant: string,
  keyPrefix: string,
  count: number,
  onAccepted: (accepted: number) => void = () => undefined,
): Promise<string[]> {
  let accepted = 0;
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const key = `${keyPrefix}-${RUN}-${i}`;
      const execution = await airlock.executions.create(
        { language: 'python', code: `print(${i})` },
        { idempotencyKey: key },
      );
      if (execution.id !== idempotentExecutionId(tenant, key))
        throw new Error(`key ${key} was answered with ${execution.id}, not its own execution`);
      onAccepted(++accepted);
      return execution.id;
    }),
  );
}

export async function runningCount(cluster: MultiHostCluster, tenant: string): Promise<number> {
  const { count } = await cluster.client.workflow.count(`${TENANT.name} = '${tenant}' AND ExecutionStatus = 'Running'`);
  return count;
}

/** Waits until at most `limit` of the tenant's workflows run, asking once a second (the dev server has work enough). */
export async function untilRunningAtMost(
  cluster: MultiHostCluster,
  tenant: string,
  limit: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (
    let running = await runningCount(cluster, tenant);
    running > limit;
    running = await runningCount(cluster, tenant)
  ) {
    if (Date.now() > deadline)
      throw new Error(`${running} executions of ${tenant} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Waits until none of the tenant's workflows runs, then reads what became of each. */
export async function settle(cluster: MultiHostCluster, tenant: string, timeoutMs: number): Promise<Outcome[]> {
  await untilRunningAtMost(cluster, tenant, 0, timeoutMs);
  const workflows = await cluster.workflowsOf(tenant);
  return Promise.all(workflows.map((info) => outcomeOf(cluster, info)));
}

async function outcomeOf(cluster: MultiHostCluster, info: WorkflowExecutionInfo): Promise<Outcome> {
  const status = info.typedSearchAttributes.get(STATUS) ?? 'unknown';
  const failed = info.status.name === 'COMPLETED' && status !== 'succeeded';
  const result = failed
    ? ((await cluster.client.workflow.getHandle(info.workflowId).result()) as ExecutionResult)
    : undefined;
  return {
    id: info.workflowId,
    workflowStatus: info.status.name,
    status,
    host: info.typedSearchAttributes.get(HOST) ?? null,
    error: result?.error ?? null,
    startedAt: info.startTime.getTime(),
    closedAt: info.closeTime?.getTime() ?? Number.NaN,
  };
}

/** How many outcomes share each value of `key`, e.g. executions per host. */
export function tally(outcomes: Outcome[], key: (o: Outcome) => string | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const k = key(o) ?? 'none';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The run's containers on `docker` that belong to an execution: a warm pool's unclaimed containers
 * are the host's own until it stops, and are not left behind by anyone.
 */
export async function executionContainers(docker: Docker, cluster: MultiHostCluster): Promise<Docker.ContainerInfo[]> {
  const all = await containersWithLabels(docker, [cluster.label]);
  return all.filter((c) => !c.Names.some((n) => n.replace(/^\//, '').startsWith(POOL_NAME_PREFIX)));
}

/** Execution containers of the run on either engine. */
export async function leftBehind(cluster: MultiHostCluster): Promise<Docker.ContainerInfo[]> {
  return (await Promise.all(cluster.engines().map((docker) => executionContainers(docker, cluster)))).flat();
}
