import { Worker, type InjectedSinks, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { AirlockMetrics } from '../lib/metrics';
import type { AirlockSinks } from '../workflows/sinks';
import { createOrchestrationActivities } from '../activities/orchestration';
import { ORCHESTRATION_QUEUE } from '../lib/task-queues';
import type { LoadedPolicy } from '../lib/policies';
import type { RuntimeDefinition } from '../lib/runtimes';

export interface OrchestrationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  policies: Map<string, LoadedPolicy>;
  runtimes: Map<string, RuntimeDefinition>;
  /** A prebuilt bundle (tests, production); otherwise the workflows are bundled at start-up. */
  workflowBundle?: WorkflowBundleOption;
  metrics: AirlockMetrics;
}

/** Where the workflows' facts land: Prometheus metrics, counted once (never during replay). */
export function metricsSinks(metrics: AirlockMetrics): InjectedSinks<AirlockSinks> {
  return {
    metrics: {
      executionFinished: {
        fn: (_info, { status, language, durationMs }) => {
          metrics.executions.inc({ status, language });
          metrics.executionDuration.observe({ language }, durationMs / 1000);
        },
        callDuringReplay: false,
      },
      stageFinished: {
        fn: (_info, { stage, outcome, durationMs }) =>
          metrics.stageDuration.observe({ stage, outcome }, durationMs / 1000),
        callDuringReplay: false,
      },
      stepFinished: {
        fn: (_info, { kind, status }) => metrics.sandboxSteps.inc({ kind, status }),
        callDuringReplay: false,
      },
    },
  };
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
    activities: createOrchestrationActivities({ policies: opts.policies, runtimes: opts.runtimes }),
    sinks: metricsSinks(opts.metrics),
  });
}
