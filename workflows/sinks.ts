import { proxySinks, type Sinks } from '@temporalio/workflow';

/**
 * Facts a workflow reports to the worker's metrics. Sinks run outside the workflow sandbox and not
 * during replay, so a replayed history is not counted twice.
 */
export interface AirlockSinks extends Sinks {
  metrics: {
    executionFinished(fact: { status: string; language: string; durationMs: number }): void;
    stageFinished(fact: { stage: string; outcome: string; durationMs: number }): void;
    stepFinished(fact: { kind: string; status: string }): void;
  };
}

export const { metrics } = proxySinks<AirlockSinks>();
