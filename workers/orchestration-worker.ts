import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { AirlockMetrics } from '../lib/node/metrics';
import { metricsSinks } from './metrics-sinks';
import { tracingWorkerInterceptors, workflowTracingSinks } from '../lib/node/tracing';
import { createOrchestrationActivities } from '../activities/orchestration';
import { ORCHESTRATION_QUEUE } from '../lib/task-queues';
import type { LoadedPolicy } from '../lib/node/policies';
import type { RuntimeCatalog } from '../lib/node/runtimes';
import { WORKFLOW_INTERCEPTOR_MODULES } from './workflow-bundle';
import type { HistoryEvent } from '../lib/node/audit/history-events';
import type { HolderState } from '../activities/orchestration/leases';
import { temporal } from '@temporalio/proto';
import { workerDataConverter } from '../lib/node/temporal';
import { decodeHistory } from '../lib/node/payload-codec';

export interface OrchestrationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  policies: Map<string, LoadedPolicy>;
  runtimes: RuntimeCatalog;
  /** A prebuilt bundle (tests, production); otherwise the workflows are bundled at start-up. */
  workflowBundle?: WorkflowBundleOption;
  metrics: AirlockMetrics;
}

/** Runs the workflows and the activities that need no Docker engine. */
export function createOrchestrationWorker(opts: OrchestrationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: ORCHESTRATION_QUEUE,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createOrchestrationActivities({
      policies: opts.policies,
      runtimes: opts.runtimes,
      fetchHistory: historyReader(opts.connection, opts.namespace),
      holderState: holderStates(opts.connection, opts.namespace),
    }),
    // A prebuilt bundle has the workflow interceptors built in.
    interceptors: {
      ...tracingWorkerInterceptors(),
      ...(opts.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
    },
    sinks: { ...metricsSinks(opts.metrics), ...workflowTracingSinks() },
    dataConverter: workerDataConverter(),
  });
}

/** Reads an execution's whole history, page by page, over the worker's own connection, decrypted (the seal needs it). */
function historyReader(connection: NativeConnection, namespace: string) {
  return async (executionId: string): Promise<HistoryEvent[]> => {
    const events: HistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.getWorkflowExecutionHistory({
        namespace,
        execution: { workflowId: executionId },
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return (await decodeHistory({ events })).events;
  };
}

const GRPC_NOT_FOUND = 5;

/** A lease holder's workflow as its latest run stands; NOT_FOUND is one that never started. */
function holderStates(connection: NativeConnection, namespace: string) {
  return async (workflowId: string): Promise<HolderState> => {
    try {
      const { workflowExecutionInfo } = await connection.workflowService.describeWorkflowExecution({
        namespace,
        execution: { workflowId },
      });
      return workflowExecutionInfo?.status ===
        temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        ? 'running'
        : 'closed';
    } catch (err) {
      if ((err as { code?: number }).code === GRPC_NOT_FOUND) return 'missing';
      throw err;
    }
  };
}
