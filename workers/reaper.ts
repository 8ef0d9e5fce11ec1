import type { AirlockMetrics } from '../lib/metrics';
import type Docker from 'dockerode';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { LABELS } from '../lib/containers';
import type { Logger } from '../lib/logger';

export interface ReaperOptions {
  /** Counts what it removes, by reason. */
  metrics?: AirlockMetrics;
  docker: Docker;
  client: Client;
  hostId: string;
  cluster: string;
  intervalMs: number;
  /** Slack past a container's deadline label before it counts as overdue. */
  graceMs?: number;
  log: Logger;
}

export interface ReapedContainer {
  name: string;
  executionId: string;
  reason: 'execution_closed' | 'execution_unknown' | 'overdue';
}

/**
 * Removes this host's sandbox containers whose execution has closed, is unknown to Temporal, or is
 * past its deadline. It is the backstop for teardowns that could not run: a crashed worker, a lost host.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReapedContainer[]> | undefined;

  constructor(private readonly opts: ReaperOptions) {}

  start(): void {
    void this.sweepSafely();
    this.timer = setInterval(() => void this.sweepSafely(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; concurrent calls share it. */
  sweep(): Promise<ReapedContainer[]> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepSafely(): Promise<void> {
    try {
      await this.sweep();
    } catch (err) {
      this.opts.log.warn({ err }, 'reaper sweep failed; will retry');
    }
  }

  private async sweepOnce(): Promise<ReapedContainer[]> {
    const { docker, hostId, cluster, graceMs = 30_000 } = this.opts;
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.managed}=true`, `${LABELS.cluster}=${cluster}`, `${LABELS.host}=${hostId}`] },
    });
    const reaped: ReapedContainer[] = [];
    for (const info of containers) {
      const executionId = info.Labels[LABELS.execution] ?? '';
      const deadline = Number(info.Labels[LABELS.deadline] ?? 0);
      const reason = Date.now() > deadline + graceMs ? 'overdue' : await this.executionVerdict(executionId);
      if (!reason) continue;
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
      const name = info.Names[0]?.replace(/^\//, '') ?? info.Id;
      reaped.push({ name, executionId, reason });
      this.opts.metrics?.reaped.inc({ reason });
      this.opts.log.info({ container: name, executionId, reason }, 'reaped sandbox container');
    }
    return reaped;
  }

  /** Why the container should go, or undefined while its execution still runs (or Temporal cannot say). */
  private async executionVerdict(executionId: string): Promise<ReapedContainer['reason'] | undefined> {
    if (!executionId) return 'execution_unknown';
    try {
      const description = await this.opts.client.workflow.getHandle(executionId).describe();
      return description.status.name === 'RUNNING' ? undefined : 'execution_closed';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'execution_unknown';
      this.opts.log.warn({ err, executionId }, 'cannot describe execution; keeping its container for now');
      return undefined;
    }
  }
}
