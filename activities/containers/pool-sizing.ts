/** Operator-set bounds of a host's warm pools. */
export interface PoolBounds {
  /** Idle containers kept for a prewarmed profile even without demand. */
  minIdle: number;
  /** The most idle containers one profile may hold. */
  maxIdle: number;
  /** The most idle containers all profiles together may hold on this host. */
  maxTotalIdle: number;
  /** A profile unclaimed this long shrinks to its floor. */
  idleTtlMs: number;
  /** Containers made at once in the background; each costs the engine a CPU for a few hundred ms. */
  refillConcurrency: number;
}

/** Claims seen in a sliding window: the demand a pool is sized for. */
export class DemandWindow {
  private readonly claims: number[] = [];

  constructor(private readonly windowMs: number) {}

  record(now: number): void {
    this.claims.push(now);
    this.prune(now);
  }

  /** Claims per second over the window. */
  rate(now: number): number {
    this.prune(now);
    return this.claims.length / (this.windowMs / 1000);
  }

  lastAt(): number | undefined {
    return this.claims.at(-1);
  }

  private prune(now: number): void {
    while (this.claims.length > 0 && this.claims[0]! <= now - this.windowMs) this.claims.shift();
  }
}

export interface PoolDemand {
  /** Claims per second, recently. */
  claimRate: number;
  /** How long making one container takes here, recently. */
  refillMs: number;
  /** Epoch ms of the last claim, if any. */
  lastClaimAt: number | undefined;
  /** Kept warm from the start (a default profile), so never below `minIdle`. */
  prewarmed: boolean;
}

/**
 * Idle containers a profile should hold: enough for the claims that arrive while replacements are
 * made, with headroom for a burst, within the operator's bounds; its floor once demand has gone.
 */
export function idleTarget(demand: PoolDemand, bounds: PoolBounds, now: number): number {
  const floor = demand.prewarmed ? bounds.minIdle : 0;
  const active = demand.lastClaimAt !== undefined && now - demand.lastClaimAt < bounds.idleTtlMs;
  if (!active) return Math.min(floor, bounds.maxIdle);
  const covering = Math.ceil(demand.claimRate * (demand.refillMs / 1000) * 2) + 1;
  return Math.min(Math.max(covering, floor, 1), bounds.maxIdle);
}

/** Fits per-profile targets under the host-wide cap, shrinking the largest first. */
export function fitTargets(targets: Map<string, number>, maxTotal: number): Map<string, number> {
  const fitted = new Map(targets);
  let total = [...fitted.values()].reduce((a, b) => a + b, 0);
  while (total > maxTotal) {
    const [key, largest] = [...fitted.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    fitted.set(key, largest - 1);
    total -= 1;
  }
  return fitted;
}
