import type { Client } from '@temporalio/client';
import type { Logger } from '../../lib/node/logger';
import { HOSTS_QUEUE } from '../../lib/task-queues';
import { TASK_QUEUE_TYPE_ACTIVITY, readQueueStats } from '../../lib/node/task-queue-stats';
import { decideWorkers, type ScalingBounds } from './decide';
import type { LocalProcessDriver } from './local-driver';

export interface PoolManagerOptions {
  client: Client;
  driver: LocalProcessDriver;
  bounds: ScalingBounds;
  intervalMs: number;
  log: Logger;
}

/** Watches the shared hosts queue and keeps the number of host workers to what it needs. */
export class PoolManager {
  private timer: NodeJS.Timeout | undefined;
  private lastBusyAt = Date.now();
  private ticking: Promise<void> | undefined;

  constructor(private readonly opts: PoolManagerOptions) {}

  start(): void {
    this.tickSafely();
    this.timer = setInterval(() => this.tickSafely(), this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await this.opts.driver.stopAll();
  }

  /** One look at the queue and, if needed, one scaling step. */
  async tick(now = Date.now()): Promise<void> {
    const { client, driver, bounds, log } = this.opts;
    const stats = await readQueueStats(client, HOSTS_QUEUE, TASK_QUEUE_TYPE_ACTIVITY);
    if (stats.backlog > 0 || stats.dispatchRate > 0) this.lastBusyAt = now;
    const current = driver.serving;
    const { desired, reason } = decideWorkers(stats, { current, lastBusyAt: this.lastBusyAt }, bounds, now);
    if (desired === current) return;
    log.info({ from: current, to: desired, reason, ...stats }, 'scaling host workers');
    for (let n = current; n < desired; n += 1) driver.start();
    for (let n = current; n > desired; n -= 1) driver.drainOne();
    // The quiet period starts again after each scale-in: one worker at a time.
    if (desired < current) this.lastBusyAt = now;
  }

  private tickSafely(): void {
    if (this.ticking) return;
    this.ticking = this.tick()
      .catch((err: unknown) => this.opts.log.warn({ err }, 'pool manager tick failed; will retry'))
      .finally(() => (this.ticking = undefined));
  }
}
