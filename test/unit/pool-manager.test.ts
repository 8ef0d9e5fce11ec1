import { decideWorkers, type ScalingBounds } from '../../workers/pool-manager/decide';
import { loadScalingConfig } from '../../workers/pool-manager/scaling-config';

const bounds: ScalingBounds = {
  minWorkers: 1,
  maxWorkers: 4,
  backlogPerWorker: 8,
  maxBacklogAgeMs: 500,
  scaleInAfterMs: 60_000,
};
const now = 10_000_000;
const quiet = { backlog: 0, backlogAgeMs: 0, addRate: 0, dispatchRate: 0 };

describe('pool manager scaling decisions', () => {
  test('work waiting longer than the schedule-to-start target adds a worker', () => {
    const stats = { ...quiet, backlog: 2, backlogAgeMs: 800, addRate: 5, dispatchRate: 4 };
    expect(decideWorkers(stats, { current: 1, lastBusyAt: now }, bounds, now).desired).toBe(2);
  });

  test('a deep backlog adds several at once, never past the maximum', () => {
    const stats = { ...quiet, backlog: 20, backlogAgeMs: 100 };
    expect(decideWorkers(stats, { current: 1, lastBusyAt: now }, bounds, now).desired).toBe(3);
    expect(decideWorkers({ ...stats, backlog: 200 }, { current: 1, lastBusyAt: now }, bounds, now).desired).toBe(4);
  });

  test('a short, young backlog is left to the workers there', () => {
    const stats = { ...quiet, backlog: 3, backlogAgeMs: 100, dispatchRate: 10 };
    expect(decideWorkers(stats, { current: 2, lastBusyAt: now }, bounds, now)).toEqual({
      desired: 2,
      reason: 'keeping up',
    });
  });

  test('from zero, any waiting work starts a worker', () => {
    const zero = { ...bounds, minWorkers: 0 };
    const stats = { ...quiet, backlog: 1, backlogAgeMs: 10 };
    expect(decideWorkers(stats, { current: 0, lastBusyAt: now }, zero, now).desired).toBe(1);
  });

  test('scales in one at a time, only after the quiet period, never below the minimum', () => {
    expect(decideWorkers(quiet, { current: 3, lastBusyAt: now - 30_000 }, bounds, now).desired).toBe(3);
    expect(decideWorkers(quiet, { current: 3, lastBusyAt: now - 60_000 }, bounds, now).desired).toBe(2);
    expect(decideWorkers(quiet, { current: 1, lastBusyAt: now - 600_000 }, bounds, now).desired).toBe(1);
    // Tasks still being dispatched: not quiet, whatever the backlog says.
    const busy = { ...quiet, dispatchRate: 2 };
    expect(decideWorkers(busy, { current: 3, lastBusyAt: now - 600_000 }, bounds, now).desired).toBe(3);
  });

  test('below the minimum (a worker died) comes back up', () => {
    expect(decideWorkers(quiet, { current: 0, lastBusyAt: now }, bounds, now).desired).toBe(1);
  });

  test('bad bounds are refused by name', () => {
    expect(() => loadScalingConfig({ AIRLOCK_SCALE_MIN_WORKERS: '3', AIRLOCK_SCALE_MAX_WORKERS: '2' })).toThrow(
      /AIRLOCK_SCALE_MAX_WORKERS \(2\) is below AIRLOCK_SCALE_MIN_WORKERS \(3\)/,
    );
    expect(() => loadScalingConfig({ AIRLOCK_SCALE_MAX_WORKERS: 'many' })).toThrow(/AIRLOCK_SCALE_MAX_WORKERS/);
  });
});
