import { DemandWindow, fitTargets, idleTarget, type PoolBounds } from '../../activities/containers/pool-sizing';
import { hostCapacity, localResources } from '../../activities/capacity/host-capacity';

const bounds: PoolBounds = { minIdle: 1, maxIdle: 8, maxTotalIdle: 12, idleTtlMs: 60_000, refillConcurrency: 2 };
const now = 1_000_000;

describe('warm pool sizing', () => {
  test('a prewarmed profile holds its floor without demand; another holds nothing', () => {
    const idle = { claimRate: 0, refillMs: 300, lastClaimAt: undefined };
    expect(idleTarget({ ...idle, prewarmed: true }, bounds, now)).toBe(1);
    expect(idleTarget({ ...idle, prewarmed: false }, bounds, now)).toBe(0);
  });

  test('grows with the claim rate and the time a replacement takes, up to the bound', () => {
    const at = (claimRate: number, refillMs: number) =>
      idleTarget({ claimRate, refillMs, lastClaimAt: now - 100, prewarmed: false }, bounds, now);
    expect(at(0.1, 300)).toBe(2);
    expect(at(5, 300)).toBe(4);
    expect(at(10, 300)).toBe(7);
    expect(at(10, 600)).toBe(8);
    expect(at(100, 300)).toBe(8);
  });

  test('shrinks to the floor once a profile has gone unclaimed for the idle TTL', () => {
    const stale = { claimRate: 0, refillMs: 300, lastClaimAt: now - 60_001 };
    expect(idleTarget({ ...stale, prewarmed: false }, bounds, now)).toBe(0);
    expect(idleTarget({ ...stale, prewarmed: true }, bounds, now)).toBe(1);
  });

  test('an operator bound of zero turns a profile off even when prewarmed', () => {
    const off = { ...bounds, maxIdle: 0 };
    expect(idleTarget({ claimRate: 50, refillMs: 300, lastClaimAt: now, prewarmed: true }, off, now)).toBe(0);
  });

  test('host-wide cap: the largest targets give way first', () => {
    const fitted = fitTargets(
      new Map([
        ['a', 8],
        ['b', 6],
        ['c', 1],
      ]),
      10,
    );
    expect(Object.fromEntries(fitted)).toEqual({ a: 4, b: 5, c: 1 });
    expect([...fitted.values()].reduce((x, y) => x + y, 0)).toBe(10);
  });

  test('the demand window counts only recent claims', () => {
    const window = new DemandWindow(10_000);
    for (let i = 0; i < 5; i += 1) window.record(now - 20_000 + i * 100);
    for (let i = 0; i < 10; i += 1) window.record(now - 5_000 + i * 500);
    expect(window.rate(now)).toBe(1);
    expect(window.lastAt()).toBe(now - 500);
    expect(window.rate(now + 30_000)).toBe(0);
  });
});

describe('host capacity', () => {
  const GiB = 1024 ** 3;

  test('provisioning follows CPUs, running sandboxes follow memory', () => {
    expect(hostCapacity({ cpus: 2, memoryBytes: 24 * GiB }, 256)).toEqual({
      provisionSlots: 8,
      sandboxSlots: 64,
      poolMaxIdle: 8,
      poolMaxTotalIdle: 16,
      poolRefillConcurrency: 2,
    });
    // A small machine: memory binds before the CPU ceiling does.
    expect(hostCapacity({ cpus: 8, memoryBytes: 4 * GiB }, 512).sandboxSlots).toBe(8);
    expect(hostCapacity({ cpus: 4, memoryBytes: 1 * GiB }, 2048).sandboxSlots).toBe(4);
  });
});

describe('host resources', () => {
  test('a pod names its engine container limits; unset means the machine', () => {
    expect(localResources({ cpus: 3, memoryMb: 4096 })).toEqual({ cpus: 3, memoryBytes: 4096 * 1024 * 1024 });
    const machine = localResources({});
    expect(machine.cpus).toBeGreaterThanOrEqual(1);
    expect(machine.memoryBytes).toBeGreaterThan(0);
  });
});
