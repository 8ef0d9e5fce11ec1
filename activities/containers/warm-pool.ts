import crypto from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS, POOL_NAME_PREFIX } from '../../lib/containers';
import type { Logger } from '../../lib/node/logger';
import type { AirlockMetrics } from '../../lib/node/metrics';
import { type ContainerProfile, profileKey, sandboxContainerSpec } from './container-spec';
import { removeQuietly } from './docker-errors';
import { openSupervised, type SupervisedSandbox } from '../supervisor/sandboxes';
import { DemandWindow, type PoolBounds, fitTargets, idleTarget } from './pool-sizing';

const DEMAND_WINDOW_MS = 30_000;
const RETIRE_INTERVAL_MS = 1_000;
/** A first guess at how long making a container takes; measured from then on. */
const INITIAL_REFILL_MS = 300;

export interface WarmPoolOptions {
  docker: Docker;
  cluster: string;
  hostId: string;
  bounds: PoolBounds;
  log: Logger;
  metrics?: AirlockMetrics;
}

/** A profile to pool, and the image tag it is reported under. */
export interface PoolProfile extends ContainerProfile {
  imageTag: string;
}

interface IdleContainer {
  id: string;
  name: string;
  /** Started, inspected and attached to: a claim is a rename and nothing more. */
  sandbox: SupervisedSandbox;
}

interface ProfilePool {
  key: string;
  profile: PoolProfile;
  idle: IdleContainer[];
  creating: number;
  demand: DemandWindow;
  prewarmed: boolean;
}

export interface WarmPoolStats {
  profile: string;
  image: string;
  idle: number;
  target: number;
}

/**
 * Containers made ahead of demand, per profile, each used by one execution and then destroyed like
 * any other. A pooled container holds nothing from a request (no env, no files, no name) until an
 * execution claims it by renaming it to its own container name, so any request with the same profile
 * can take it. Sizes follow recent claims within the operator's bounds; refilling happens in the
 * background, off the request's path.
 */
export class WarmPool {
  private readonly pools = new Map<string, ProfilePool>();
  /** Pool names of containers being made, idle or being claimed: the reaper must not mistake them for strays. */
  private readonly held = new Set<string>();
  private refillMs = INITIAL_REFILL_MS;
  private creatingTotal = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: WarmPoolOptions) {}

  /** Removes what an earlier process of this host left in its pools, then keeps `prewarm` warm. */
  async start(prewarm: PoolProfile[]): Promise<void> {
    await this.removeStale();
    for (const profile of prewarm) this.poolFor(profile).prewarmed = true;
    this.timer = setInterval(() => this.retireAndRefill(), RETIRE_INTERVAL_MS);
    this.timer.unref();
    this.refill();
  }

  /**
   * An idle container of this profile renamed to `name`, or undefined when none is ready (the caller
   * makes one itself). Either way the claim counts as demand, so the pool grows toward it.
   */
  async claim(profile: PoolProfile, name: string): Promise<SupervisedSandbox | undefined> {
    if (this.stopped) return undefined;
    const pool = this.poolFor(profile);
    pool.demand.record(Date.now());
    const taken = pool.idle.shift();
    this.opts.metrics?.poolClaims.inc({ image: profile.imageTag, result: taken ? 'hit' : 'miss' });
    // Making a container costs the engine a few hundred ms of CPU. While the pool still has one, the
    // next tick makes the replacement, after the claiming execution's own stages; a dry pool refills now.
    if (pool.idle.length === 0) this.refill();
    if (!taken) return undefined;
    try {
      // An open channel is a running supervisor: the container needs no inspect.
      if (!taken.sandbox.channel.closed) {
        await taken.sandbox.container.rename({ name });
        if (!taken.sandbox.channel.closed) return taken.sandbox;
      }
      // Only a restarted engine stops idle containers, and then it stopped them all.
      this.opts.log.warn({ container: taken.id }, 'a pooled container had stopped; emptying the pools');
      taken.sandbox.channel.close();
      await this.remove(taken.id, 'broken');
      this.emptyPools();
      return undefined;
    } catch (err) {
      taken.sandbox.channel.close();
      this.opts.log.warn({ err, container: taken.id }, 'claiming a pooled container failed; making a fresh one');
      await this.remove(taken.id, 'broken');
      return undefined;
    } finally {
      // Only once renamed: from here the reaper judges it by its execution's name.
      this.held.delete(taken.name);
    }
  }

  /** Whether this process holds the pool container of that name (being made, idle, or being claimed). */
  holds(name: string): boolean {
    return this.held.has(name);
  }

  stats(now = Date.now()): WarmPoolStats[] {
    const targets = this.targets(now);
    return [...this.pools.values()].map((pool) => ({
      profile: pool.key,
      image: pool.profile.imageTag,
      idle: pool.idle.length,
      target: targets.get(pool.key) ?? 0,
    }));
  }

  /** Stops refilling and removes every idle container: on shutdown, nothing is left behind. */
  async drain(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
    const idle = [...this.pools.values()].flatMap((pool) => pool.idle.splice(0));
    await Promise.all(idle.map((c) => this.release(c, 'drained')));
  }

  private emptyPools(): void {
    for (const pool of this.pools.values()) {
      for (const c of pool.idle.splice(0)) this.track(this.release(c, 'broken'));
    }
    this.refill();
  }

  private poolFor(profile: PoolProfile): ProfilePool {
    const key = profileKey(profile);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { key, profile, idle: [], creating: 0, demand: new DemandWindow(DEMAND_WINDOW_MS), prewarmed: false };
      this.pools.set(key, pool);
    }
    return pool;
  }

  private targets(now: number): Map<string, number> {
    const wanted = new Map(
      [...this.pools.values()].map((pool) => [
        pool.key,
        idleTarget(
          {
            claimRate: pool.demand.rate(now),
            refillMs: this.refillMs,
            lastClaimAt: pool.demand.lastAt(),
            prewarmed: pool.prewarmed,
          },
          this.opts.bounds,
          now,
        ),
      ]),
    );
    return fitTargets(wanted, this.opts.bounds.maxTotalIdle);
  }

  private retireAndRefill(): void {
    const targets = this.targets(Date.now());
    for (const pool of this.pools.values()) {
      const surplus = pool.idle.length - (targets.get(pool.key) ?? 0);
      // The oldest first: they have waited longest for a claim that did not come.
      for (const c of pool.idle.splice(0, Math.max(0, surplus))) this.track(this.release(c, 'retired'));
    }
    this.refill();
  }

  /** Starts as many creations as the targets and the concurrency bound allow. */
  private refill(): void {
    if (this.stopped) return;
    const targets = this.targets(Date.now());
    for (const pool of this.pools.values()) {
      const target = targets.get(pool.key) ?? 0;
      while (pool.idle.length + pool.creating < target && this.creatingTotal < this.opts.bounds.refillConcurrency) {
        this.track(this.create(pool));
      }
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async create(pool: ProfilePool): Promise<void> {
    pool.creating += 1;
    this.creatingTotal += 1;
    const started = Date.now();
    const name = `${POOL_NAME_PREFIX}${crypto.randomBytes(8).toString('hex')}`;
    this.held.add(name);
    let container: Docker.Container | undefined;
    try {
      const { docker, cluster, hostId } = this.opts;
      container = await docker.createContainer(
        sandboxContainerSpec({ ...pool.profile, name, labels: { cluster, hostId, poolKey: pool.key } }),
      );
      await container.start();
      const sandbox = await openSupervised(container);
      this.refillMs = 0.8 * this.refillMs + 0.2 * (Date.now() - started);
      this.opts.metrics?.poolCreated.inc({ image: pool.profile.imageTag });
      const made = { id: container.id, name, sandbox };
      if (this.stopped) await this.release(made, 'drained');
      else pool.idle.push(made);
    } catch (err) {
      this.opts.log.warn({ err, profile: pool.key }, 'making a pooled container failed');
      await this.release({ id: container?.id ?? name, name }, 'broken');
      // No retry here: the next tick tries again, so a broken engine is not hammered.
      return;
    } finally {
      pool.creating -= 1;
      this.creatingTotal -= 1;
    }
    this.refill();
  }

  private async release(
    { id, name, sandbox }: Pick<IdleContainer, 'id' | 'name'> & { sandbox?: SupervisedSandbox },
    reason: 'retired' | 'drained' | 'broken',
  ): Promise<void> {
    sandbox?.channel.close();
    await this.remove(id, reason);
    this.held.delete(name);
  }

  private async remove(containerId: string, reason: 'retired' | 'drained' | 'broken' | 'stale'): Promise<void> {
    await removeQuietly(this.opts.docker, containerId);
    this.opts.metrics?.poolRemoved.inc({ reason });
  }

  /** Unclaimed pool containers of this host from an earlier process: never handed out, so safe to remove. */
  private async removeStale(): Promise<void> {
    const { docker, cluster, hostId } = this.opts;
    const leftovers = await docker.listContainers({
      all: true,
      filters: {
        label: [`${LABELS.managed}=true`, `${LABELS.cluster}=${cluster}`, `${LABELS.host}=${hostId}`, LABELS.pool],
        name: [POOL_NAME_PREFIX],
      },
    });
    const unclaimed = leftovers.filter((c) => c.Names.some((n) => n.replace(/^\//, '').startsWith(POOL_NAME_PREFIX)));
    await Promise.all(unclaimed.map((c) => this.remove(c.Id, 'stale')));
    if (unclaimed.length > 0) this.opts.log.info({ removed: unclaimed.length }, 'removed stale pooled containers');
  }
}
