import type { QueueStats } from '../../lib/node/task-queue-stats';

export interface ScalingBounds {
  minWorkers: number;
  maxWorkers: number;
  /** Waiting provisions one more worker is worth. */
  backlogPerWorker: number;
  /** Scale out when the oldest waiting provision has waited longer than this (schedule-to-start). */
  maxBacklogAgeMs: number;
  /** Scale in only after the queue has been quiet this long, so a pause between bursts keeps workers. */
  scaleInAfterMs: number;
}

export interface ScalingState {
  current: number;
  /** Epoch ms the queue last had work waiting or being dispatched. */
  lastBusyAt: number;
}

export interface ScalingDecision {
  desired: number;
  reason: string;
}

/**
 * How many host workers the shared hosts queue needs: out as soon as work waits too long or piles
 * up (several at once, by backlog), in one at a time once it has been quiet, within the bounds.
 */
export function decideWorkers(
  stats: QueueStats,
  state: ScalingState,
  bounds: ScalingBounds,
  now: number,
): ScalingDecision {
  const clamp = (n: number) => Math.min(bounds.maxWorkers, Math.max(bounds.minWorkers, n));
  const { current } = state;
  if (stats.backlog > 0) {
    const byBacklog = Math.ceil(stats.backlog / bounds.backlogPerWorker);
    const waitedTooLong = stats.backlogAgeMs > bounds.maxBacklogAgeMs;
    const wanted = Math.max(byBacklog, waitedTooLong || current === 0 ? current + 1 : current);
    const desired = clamp(wanted);
    if (desired > current) {
      return {
        desired,
        reason: `${stats.backlog} waiting, the oldest for ${stats.backlogAgeMs} ms`,
      };
    }
    return { desired: clamp(current), reason: 'keeping up' };
  }
  const quietFor = now - state.lastBusyAt;
  if (current > bounds.minWorkers && stats.dispatchRate === 0 && quietFor >= bounds.scaleInAfterMs) {
    return { desired: clamp(current - 1), reason: `quiet for ${Math.round(quietFor / 1000)} s` };
  }
  return { desired: clamp(current), reason: current < bounds.minWorkers ? 'below the minimum' : 'steady' };
}
