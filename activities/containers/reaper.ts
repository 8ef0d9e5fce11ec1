import type { AirlockMetrics } from '../../lib/node/metrics';
import type Docker from 'dockerode';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { LABELS, POOL_NAME_PREFIX, executionIdFromName } from '../../lib/containers';
import type { Logger } from '../../lib/node/logger';

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
  /** Deadlines of claimed pool containers (their labels are the pool's); forgotten once reaped. */
  ledger?: { deadlineOf(executionId: string): Promise<number | undefined>; forget(executionId: string): Promise<void> };
  /** This host's warm pool: its unclaimed containers are not strays. */
  pool?: { holds(name: string): boolean };
  /** After each sweep: the names of this host's sandbox containers still there (pool ones aside). */
  onSwept?: (present: Set<string>) => void | Promise<void>;
  log: Logger;
}

export interface ReapedContainer {
  name: string;
  executionId: string;
  reason: 'execution_closed' | 'execution_unknown' | 'overdue' | 'pool_stale';
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

  /**
   * Thaws this host's containers left paused: a sweep freezes a container while it kills a stage's
   * leftovers, and a worker killed in that moment leaves it frozen, which blocks its removal (and
   * every later call on it) in the engine. Run before the host takes work.
   */
  async thawPaused(): Promise<number> {
    const paused = await this.opts.docker.listContainers({
      all: true,
      filters: { status: ['paused'], label: this.ownLabels() },
    });
    for (const info of paused) {
      await this.opts.docker
        .getContainer(info.Id)
        .unpause()
        .catch((err: unknown) => this.opts.log.warn({ err, container: info.Id }, 'cannot thaw a paused container'));
    }
    if (paused.length > 0) this.opts.log.info({ thawed: paused.length }, 'thawed containers a dead worker left paused');
    return paused.length;
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
    const { docker, graceMs = 30_000 } = this.opts;
    // Each sweep asks the engine first: its answer is this host's engine health, on the worker's metrics.
    const containers = await docker
      .listContainers({ all: true, filters: { label: this.ownLabels() } })
      .catch((err: unknown) => {
        this.opts.metrics?.engineUp.set(0);
        throw err;
      });
    this.opts.metrics?.engineUp.set(1);
    const reaped: ReapedContainer[] = [];
    const present = new Set<string>();
    // One container that cannot be removed (a 409, a failed unpause) must not shield those after it.
    for (const info of containers) {
      try {
        const done = await this.reapOne(info, graceMs);
        if (done) reaped.push(done);
        else present.add(nameOf(info));
      } catch (err) {
        present.add(nameOf(info));
        this.opts.metrics?.reapFailures.inc();
        this.opts.log.warn({ err, container: info.Id }, 'cannot reap a container; going on with the rest');
      }
    }
    await this.opts.onSwept?.(new Set([...present].filter((name) => !name.startsWith(POOL_NAME_PREFIX))));
    return reaped;
  }

  /** One listed container: removed if its execution is over, unknown or overdue; what was removed. */
  private async reapOne(info: Docker.ContainerInfo, graceMs: number): Promise<ReapedContainer | undefined> {
    const { docker } = this.opts;
    const name = nameOf(info);
    // A claimed pool container keeps its pool labels: its name says whose it is, the ledger its deadline.
    const executionId = info.Labels[LABELS.execution] ?? executionIdFromName(name) ?? '';
    const reason = name.startsWith(POOL_NAME_PREFIX)
      ? await this.poolVerdict(info.Id, name)
      : (await this.overdue(info, executionId, graceMs))
        ? 'overdue'
        : await this.executionVerdict(executionId);
    if (!reason) return undefined;
    try {
      // The engine will not remove a frozen container until it is thawed.
      if (info.State === 'paused') await docker.getContainer(info.Id).unpause();
      await docker.getContainer(info.Id).remove({ force: true, v: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // Teardown removed it since the listing: nothing was reaped.
      return undefined;
    }
    if (executionId) await this.opts.ledger?.forget(executionId);
    this.opts.metrics?.reaped.inc({ reason });
    this.opts.log.info({ container: name, executionId, reason }, 'reaped sandbox container');
    return { name, executionId, reason };
  }

  private ownLabels(): string[] {
    const { hostId, cluster } = this.opts;
    return [`${LABELS.managed}=true`, `${LABELS.cluster}=${cluster}`, `${LABELS.host}=${hostId}`];
  }

  private async overdue(
    info: { Labels: Record<string, string> },
    executionId: string,
    graceMs: number,
  ): Promise<boolean> {
    const label = info.Labels[LABELS.deadline];
    const deadline =
      label !== undefined ? Number(label) : executionId ? await this.opts.ledger?.deadlineOf(executionId) : undefined;
    return deadline !== undefined && Date.now() > deadline + graceMs;
  }

  /**
   * An unclaimed pool container this process does not hold was left by an earlier one. Its name is
   * read again first: a claim may have renamed it since the listing.
   */
  private async poolVerdict(id: string, listedName: string): Promise<ReapedContainer['reason'] | undefined> {
    if (this.opts.pool?.holds(listedName)) return undefined;
    const current = await this.opts.docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    return current?.Name.replace(/^\//, '') === listedName ? 'pool_stale' : undefined;
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

function nameOf(info: Docker.ContainerInfo): string {
  return info.Names[0]?.replace(/^\//, '') ?? info.Id;
}
