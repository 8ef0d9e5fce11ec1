import type Docker from 'dockerode';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../lib/errors';

/** What a container asks of its host. */
export interface Ask {
  memoryMb: number;
  cpus: number;
}

interface Waiter {
  name: string;
  ask: Ask;
  since: number;
  owner?: string | undefined;
  admit: () => void;
}

/** How long a provision waits here for room before giving its task back, for another host (or later). */
export const DEFAULT_ADMISSION_WAIT_MS = 30_000;
/** A waiter this old stops smaller ones from passing it, so a large request is not starved. */
const BACKFILL_UNTIL_MS = 5_000;

/**
 * What this host has promised its sandboxes: the sum of their containers' memory limits never
 * passes what it has for them, so the kernel never has to kill a sandbox that stays within its own
 * limit. CPU is shared by time, so it may be promised `cpuOvercommit` times over. A request that
 * fits goes beside the ones that wait for more room, until one of those has waited
 * BACKFILL_UNTIL_MS: then the line holds, so a large request is not passed for ever by small ones.
 */
export class HostAdmission {
  /** Room held, by container name; `owner` is the provision attempt that holds it (none: adopted). */
  private readonly held = new Map<string, Ask & { since: number; owner?: string }>();
  private readonly waiting: Waiter[] = [];

  constructor(readonly capacity: Ask) {}

  /**
   * Holds room for the container `name`, waiting up to `waitMs` (or until `signal`) for it. A retry
   * for a name already held holds nothing more. Past the wait: a retryable `HostFull`.
   */
  async reserve(
    name: string,
    ask: Ask,
    opts: { waitMs?: number; signal?: AbortSignal; owner?: string } = {},
  ): Promise<void> {
    const held = this.held.get(name);
    // A retry of the same provision on this host takes the room over: the earlier attempt's
    // failure must not free what this one's container uses.
    if (held) {
      held.owner = opts.owner;
      return;
    }
    const alone = this.over(ask, { memoryMb: 0, cpus: 0 });
    if (alone) {
      // Retried at once: in a cluster of hosts of several sizes, a larger one may take it.
      throw ApplicationFailure.create({
        message: `the container asks for ${ask[alone]} ${UNIT[alone]}, more than this host's ${this.capacity[alone]} for all its sandboxes`,
        type: ErrorType.HostTooSmall,
        nextRetryDelay: '200 milliseconds',
      });
    }
    if (!this.lineHeld(Date.now()) && !this.over(ask, this.used())) {
      this.held.set(name, { ...ask, since: Date.now(), owner: opts.owner });
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { name, ask, since: Date.now(), owner: opts.owner, admit: () => settle(resolve) };
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              ApplicationFailure.create({
                message: `no room on this host for ${ask.memoryMb} MB and ${ask.cpus} CPUs after ${opts.waitMs ?? DEFAULT_ADMISSION_WAIT_MS} ms (${this.describe()})`,
                type: ErrorType.HostFull,
                nextRetryDelay: '200 milliseconds',
              }),
            ),
          ),
        opts.waitMs ?? DEFAULT_ADMISSION_WAIT_MS,
      );
      const onAbort = () => settle(() => reject(opts.signal!.reason));
      const settle = (then: () => void) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        then();
        this.admitWaiting();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /**
   * The container is gone (or was never made): its room goes to whoever waits. With `owner`, only
   * if that attempt still holds it (a later attempt may have taken it over).
   */
  release(name: string, owner?: string): void {
    const held = this.held.get(name);
    if (!held || (owner !== undefined && held.owner !== owner)) return;
    this.held.delete(name);
    this.admitWaiting();
  }

  holds(name: string): boolean {
    return this.held.has(name);
  }

  /** At start: the containers already here (a restarted worker's) hold their room. */
  adopt(present: Map<string, Ask>): void {
    for (const [name, ask] of present) if (!this.held.has(name)) this.held.set(name, { ...ask, since: Date.now() });
  }

  /**
   * After a sweep: room held longer than `graceMs` for a container that is not there (a provision
   * that failed after its reservation, a removal this worker did not see) is released. Younger
   * holds may be provisions still making their container.
   */
  forgetMissing(present: Set<string>, graceMs = 60_000): void {
    const before = Date.now() - graceMs;
    for (const [name, held] of [...this.held]) if (!present.has(name) && held.since < before) this.held.delete(name);
    this.admitWaiting();
  }

  used(): Ask {
    let memoryMb = 0;
    let cpus = 0;
    for (const ask of this.held.values()) {
      memoryMb += ask.memoryMb;
      cpus += ask.cpus;
    }
    return { memoryMb, cpus };
  }

  stats(): { held: number; waiting: number; used: Ask; capacity: Ask } {
    return { held: this.held.size, waiting: this.waiting.length, used: this.used(), capacity: this.capacity };
  }

  /** In order, each waiter that fits; past one that has waited too long to be passed, none. */
  private admitWaiting(): void {
    const now = Date.now();
    for (const waiter of [...this.waiting]) {
      if (!this.waiting.includes(waiter)) continue; // admitted or gone meanwhile
      if (!this.over(waiter.ask, this.used())) {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        this.held.set(waiter.name, { ...waiter.ask, since: now, owner: waiter.owner });
        waiter.admit();
      } else if (now - waiter.since >= BACKFILL_UNTIL_MS) {
        return;
      }
    }
  }

  /** A waiter has waited long enough that nothing may pass it. */
  private lineHeld(now: number): boolean {
    return this.waiting.some((w) => now - w.since >= BACKFILL_UNTIL_MS);
  }

  private over(ask: Ask, used: Ask): keyof Ask | null {
    if (used.memoryMb + ask.memoryMb > this.capacity.memoryMb) return 'memoryMb';
    if (used.cpus + ask.cpus > this.capacity.cpus + 1e-9) return 'cpus';
    return null;
  }

  private describe(): string {
    const used = this.used();
    return `${used.memoryMb} of ${this.capacity.memoryMb} MB and ${used.cpus} of ${this.capacity.cpus} CPUs held, ${this.waiting.length} waiting`;
  }
}

const UNIT: Record<keyof Ask, string> = { memoryMb: 'MB', cpus: 'CPUs' };

/** What running containers were made with (their memory limit and CPU quota), read from the engine. */
export async function containerAsks(docker: Docker, names: string[]): Promise<Map<string, Ask>> {
  const asks = new Map<string, Ask>();
  for (const name of names) {
    const info = await docker
      .getContainer(name)
      .inspect()
      .catch(() => undefined);
    if (!info) continue;
    asks.set(name, {
      memoryMb: Math.round((info.HostConfig.Memory ?? 0) / (1024 * 1024)),
      cpus: (info.HostConfig.NanoCpus ?? 0) / 1e9,
    });
  }
  return asks;
}
