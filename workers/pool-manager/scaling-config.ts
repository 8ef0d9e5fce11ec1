import { intFrom } from '../../lib/node/config';
import type { ScalingBounds } from './decide';

export interface ScalingConfig {
  bounds: ScalingBounds;
  intervalMs: number;
}

export function loadScalingConfig(env: NodeJS.ProcessEnv = process.env): ScalingConfig {
  const int = (name: string, fallback: number) => intFrom(env, name, fallback);
  const bounds = {
    minWorkers: int('AIRLOCK_SCALE_MIN_WORKERS', 1),
    maxWorkers: int('AIRLOCK_SCALE_MAX_WORKERS', 4),
    backlogPerWorker: Math.max(1, int('AIRLOCK_SCALE_BACKLOG_PER_WORKER', 8)),
    maxBacklogAgeMs: int('AIRLOCK_SCALE_MAX_BACKLOG_AGE_MS', 500),
    scaleInAfterMs: int('AIRLOCK_SCALE_IN_AFTER_MS', 60_000),
  };
  if (bounds.maxWorkers < bounds.minWorkers) {
    throw new Error(
      `AIRLOCK_SCALE_MAX_WORKERS (${bounds.maxWorkers}) is below AIRLOCK_SCALE_MIN_WORKERS (${bounds.minWorkers})`,
    );
  }
  return { bounds, intervalMs: Math.max(100, int('AIRLOCK_SCALE_INTERVAL_MS', 2_000)) };
}
