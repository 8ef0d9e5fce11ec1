import type { InjectedSinks } from '@temporalio/worker';
import type { AirlockSinks } from '../workflows/sinks';
import { AirlockMetrics } from '../lib/node/metrics';

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

/** For replays outside a worker (audit, tests): the sinks are registered, and replay never calls them. */
export function replaySinks(): InjectedSinks<AirlockSinks> {
  return metricsSinks(new AirlockMetrics('replay'));
}
