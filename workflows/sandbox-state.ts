import type { LiveEvent } from '../lib/schemas/events';
import type { ProvisionedSandbox } from '../activities/host';
import type { SandboxEndReason, SandboxInfo, SandboxStatus, StepResult } from '../lib/schemas/sandbox';
import type { CarriedSandbox, SandboxInput, StepEnvelope } from '../lib/sandbox-input';
import { LiveLog } from './live-log';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { RECENT_STEPS } from '../lib/vocabulary';
import { metrics } from './sinks';

/** Full step results kept for retries and for the stream's `end`; older steps keep their summary. */
const KEPT_RESULTS = 20;
/** What a continued run takes over of those, so its input stays well under the payload limit. */
const CARRIED_RESULT_CHARS = 512 * 1024;

/**
 * A sandbox's visible state and its queue of steps. Timestamps come from workflow time, so replay
 * rebuilds the same record.
 */
export class SandboxState {
  readonly info: SandboxInfo;
  readonly live: LiveLog;
  readonly completed = new Map<string, StepResult>();
  /** Steps accepted and not yet run, in arrival order. */
  readonly queue: StepEnvelope[] = [];
  running: string | null = null;
  /** The running step as it was sent, with when it started. */
  runningStep: (StepEnvelope & { startedAt: string }) | null = null;
  /** The running step its client cancelled: its result says so, not that the sandbox ended. */
  cancelledByClient: string | null = null;
  closeRequested = false;
  /** Cancels the running step (at the lifetime, or on close); set only while one runs. */
  stopRunning: (() => void) | undefined;
  /** A new idle timeout came: the serve loop's wait is recomputed. */
  rescheduled = false;
  /** Set once teardown has run (or been left to the reaper): a close answers only then. */
  tornDown = false;
  private finalStatus: SandboxStatus = 'closed';
  sandbox: ProvisionedSandbox | undefined;
  /** The workspace's files (name and sha256) as the last exec step's manifest saw them. */
  files: Array<{ name: string; sha256: string }>;

  constructor(input: SandboxInput) {
    const carried = input.carried;
    this.files = carried?.files ?? [];
    this.live = new LiveLog(carried?.nextEventId ?? 1, carried?.events ?? []);
    carried?.completed.forEach((r) => this.completed.set(r.stepId, r));
    if (carried && carried.info.image) this.sandbox = { ...carried.host, image: carried.info.image };
    this.info = carried?.info ?? {
      id: input.sandboxId,
      tenant: input.tenant,
      language: input.language,
      policy: input.policy,
      status: 'starting',
      createdAt: input.createdAt,
      lastActivityAt: input.createdAt,
      idleTimeoutSeconds: Math.round(input.idleTimeoutMs / 1000),
      maxLifetimeSeconds: Math.round(input.maxLifetimeMs / 1000),
      idleExpiresAt: null,
      expiresAt: new Date(Date.parse(input.createdAt) + input.maxLifetimeMs).toISOString(),
      host: null,
      image: null,
      steps: 0,
      recentSteps: [],
      end: null,
      ...(input.metadata ? { metadata: input.metadata } : {}),
    };
  }

  get ended(): boolean {
    return this.info.end !== null;
  }

  get idleDeadline(): number {
    return Date.parse(this.info.lastActivityAt) + this.info.idleTimeoutSeconds * 1000;
  }

  get lifetimeDeadline(): number {
    return Date.parse(this.info.expiresAt);
  }

  /** Known to this run: finished, queued or running. */
  knows(stepId: string): boolean {
    return this.completed.has(stepId) || this.running === stepId || this.queue.some((s) => s.stepId === stepId);
  }

  ready(sandbox: ProvisionedSandbox): void {
    this.sandbox = sandbox;
    this.info.host = sandbox.hostId;
    this.info.image = sandbox.image;
    this.info.status = 'ready';
    this.touch();
  }

  touch(): void {
    const now = Date.now();
    this.info.lastActivityAt = new Date(now).toISOString();
    this.info.idleExpiresAt = new Date(now + this.info.idleTimeoutSeconds * 1000).toISOString();
  }

  /** A new idle timeout from now, capped so the sandbox still ends at its maximum lifetime. */
  setIdleTimeout(seconds: number): void {
    this.info.idleTimeoutSeconds = seconds;
    this.touch();
    this.rescheduled = true;
  }

  recordStep(result: StepResult): void {
    this.completed.set(result.stepId, result);
    for (const stepId of [...this.completed.keys()].slice(0, -KEPT_RESULTS)) this.completed.delete(stepId);
    this.live.forget((scope) => this.completed.has(scope) || this.knows(scope));
    const { stepId, index, kind, status, startedAt, durationMs } = result;
    this.info.steps += 1;
    this.info.recentSteps = [...this.info.recentSteps, { stepId, index, kind, status, startedAt, durationMs }].slice(
      -RECENT_STEPS,
    );
    this.live.end(stepId, status);
    metrics.stepFinished({ kind, status });
  }

  /** Decides how the sandbox ends; its status reads `closing` until teardown has run (`markTornDown`). */
  end(status: Extract<SandboxStatus, 'closed' | 'lost' | 'failed'>, reason: SandboxEndReason, message: string): void {
    if (this.info.end) return;
    this.finalStatus = status;
    this.info.status = 'closing';
    this.info.idleExpiresAt = null;
    this.info.end = { reason, message, at: new Date().toISOString() };
  }

  /** Teardown has run: the sandbox takes the status `end` decided. */
  markTornDown(): void {
    this.info.status = this.finalStatus;
    this.tornDown = true;
  }

  /** A step's stream after `after`; its `end` event carries the step's result. */
  events(stepId: string, after: number): LiveEvent[] {
    return this.live
      .after(after, stepId)
      .map((e) => (e.type === 'end' ? { ...e, data: { ...e.data, result: this.completed.get(stepId) ?? null } } : e));
  }

  carry(sandbox: ProvisionedSandbox, plan: ExecutionPlan | undefined): CarriedSandbox {
    const completed: StepResult[] = [];
    let chars = 0;
    for (const result of [...this.completed.values()].reverse()) {
      chars += JSON.stringify(result).length;
      if (chars > CARRIED_RESULT_CHARS) break;
      completed.unshift(result);
    }
    const { hostId, taskQueue, containerId } = sandbox;
    const carried = new Set(completed.map((r) => r.stepId));
    return {
      info: this.info,
      host: { hostId, taskQueue, containerId },
      plan,
      completed,
      nextEventId: this.live.nextId,
      events: this.live.carry((scope) => carried.has(scope), CARRIED_RESULT_CHARS / 2),
      ...(this.files.length > 0 ? { files: this.files } : {}),
    };
  }
}
