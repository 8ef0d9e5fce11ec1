import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { ExecutionResult, Stage } from '../lib/schemas/execution-result';
import { type StageName, type StageOutcome, isTerminal } from '../lib/vocabulary';
import { blankResult } from '../lib/blank-result';
import type { LiveEvent } from '../lib/schemas/events';
import { LiveLog } from './live-log';
import { metrics } from './sinks';

/**
 * The execution's visible state, kept by the workflow and served by its query. Timestamps come
 * from workflow time, so replay rebuilds the same record.
 */
export class ExecutionState {
  readonly result: ExecutionResult;
  /** Stage changes and output, for the live stream. */
  readonly live = new LiveLog();

  constructor(input: ExecutionInput, executionId: string) {
    this.result = blankResult({
      id: executionId,
      status: 'running',
      language: input.language,
      tenant: input.tenant,
      createdAt: input.submittedAt,
      stageOutcome: 'pending',
    });
  }

  stage(name: StageName): Stage {
    return this.result.stages.find((s) => s.name === name)!;
  }

  startStage(name: StageName): void {
    const stage = this.stage(name);
    stage.outcome = 'running';
    stage.startedAt = new Date().toISOString();
    this.liveStage(name, 'running', null);
  }

  endStage(name: StageName, outcome: StageOutcome, detail?: string): void {
    const stage = this.stage(name);
    const now = new Date();
    stage.outcome = outcome;
    stage.finishedAt = now.toISOString();
    stage.durationMs = stage.startedAt ? now.getTime() - Date.parse(stage.startedAt) : null;
    if (detail !== undefined) stage.detail = detail;
    this.liveStage(name, outcome, stage.detail ?? null);
    if (stage.durationMs !== null) metrics.stageFinished({ stage: name, outcome, durationMs: stage.durationMs });
  }

  /**
   * A stage change for the live stream, until the execution has finished: the stream's `end` takes
   * the next id then, so teardown, which runs after the answer, must not take that id again.
   */
  private liveStage(name: StageName, status: string, detail: string | null): void {
    if (this.result.finishedAt === null) this.live.stage(name, name, status, detail);
  }

  /** A process stage has ended: the output its host did not send live goes into the stream now. */
  completeOutput<P extends { stdout: string; stderr: string }>(scope: string, process: P, stage = scope): P {
    this.live.complete(scope, stage, process);
    return process;
  }

  /** The live stream after `after`; once the execution has ended, the last page ends with `end`. */
  events(after: number): LiveEvent[] {
    const page = this.live.after(after);
    const caughtUp = (page.at(-1)?.id ?? after) >= this.live.nextId - 1;
    if (!isTerminal(this.result.status) || !this.result.finishedAt || !caughtUp) return page;
    return [...page, { id: this.live.nextId, type: 'end', data: { status: this.result.status, result: this.result } }];
  }

  /** Runs one stage, recording how it ended; a throw marks the stage failed (or cancelled) and propagates. */
  async track<T>(name: StageName, fn: () => Promise<T>, outcomeOf?: (value: T) => [StageOutcome, string?]): Promise<T> {
    this.startStage(name);
    try {
      const value = await fn();
      const [outcome, detail]: [StageOutcome, string?] = outcomeOf ? outcomeOf(value) : ['succeeded'];
      this.endStage(name, outcome, detail);
      return value;
    } catch (err) {
      this.endStage(name, isCancellationLike(err) ? 'cancelled' : 'failed', errorMessage(err));
      throw err;
    }
  }

  /** Stages that never started are skipped (but `except`): the outcome is decided. */
  skipUnstarted(except?: StageName): void {
    for (const stage of this.result.stages) {
      if (stage.name === except) continue;
      if (stage.outcome === 'pending') stage.outcome = 'skipped';
      if (stage.outcome === 'running') this.endStage(stage.name, 'cancelled');
    }
  }

  /** Stages that never started are skipped: the execution is over. */
  close(): ExecutionResult {
    this.skipUnstarted();
    // Already set when the outcome was answered before teardown.
    this.result.finishedAt ??= new Date().toISOString();
    metrics.executionFinished({
      status: this.result.status,
      language: this.result.language,
      durationMs: Date.parse(this.result.finishedAt) - Date.parse(this.result.createdAt),
    });
    return this.result;
  }
}

function isCancellationLike(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'CancelledFailure' || (err.cause as Error | undefined)?.name === 'CancelledFailure')
  );
}

export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
