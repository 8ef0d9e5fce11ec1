import type { LeaseAnswer, LeaseRequest, TenantQuotas } from '../lib/schemas/quotas';
import { LEASE_LIMITS, type LeaseLimit } from '../lib/vocabulary';

export interface Lease {
  id: string;
  kind: LeaseRequest['kind'];
  memoryMb: number;
  cpus: number;
  /** Workflow time of the grant (or of the queueing). */
  since: number;
}

export interface Queued extends Lease {
  /** Its workflow has started and says it waits: only then can its grant be signalled. */
  waiting: boolean;
}

export interface CarriedBook {
  leases: Lease[];
  queue: Queued[];
  quotas: TenantQuotas;
  /** Holders that have ended, newest last; absent in books from before. */
  ended?: string[];
}

/** Ended holders remembered, so a retry of one (an idempotent request sent again) takes no room. */
const ENDED_KEPT = 1_000;
/** Executions one tenant may have waiting: past it, the next is refused as over its quota. */
export const MAX_QUEUED = 1_000;

export type Usage = Record<LeaseLimit, number>;

export interface QuotaView {
  usage: Usage;
  quotas: TenantQuotas;
  queued: number;
}

/**
 * One tenant's leases: what its admitted executions and live sandboxes hold, and the executions
 * waiting their turn. Pure rules, so the quota workflow replays them. The queue is first in, first
 * out: its head waits for room rather than let smaller requests pass it, so a large one cannot starve.
 */
export class LeaseBook {
  private readonly leases = new Map<string, Lease>();
  private queue: Queued[] = [];
  private quotas: TenantQuotas = {};
  private ended: string[] = [];

  constructor(carried?: CarriedBook) {
    for (const lease of carried?.leases ?? []) this.leases.set(lease.id, lease);
    this.queue = [...(carried?.queue ?? [])];
    this.quotas = carried?.quotas ?? {};
    this.ended = [...(carried?.ended ?? [])];
  }

  /** Grants, queues or refuses. Asking again for a lease already held (a retry) is granted again. */
  request(req: LeaseRequest, now: number): LeaseAnswer {
    this.quotas = req.quotas;
    // Held, or ran and ended: ids never run twice, so its start will find it there and start nothing.
    if (this.leases.has(req.id) || this.ended.includes(req.id)) return { granted: true, fresh: false };
    const position = this.queue.findIndex((q) => q.id === req.id);
    if (position >= 0) return { granted: false, queued: true, position: position + 1, fresh: false };
    const lease: Lease = { id: req.id, kind: req.kind, memoryMb: req.memoryMb, cpus: req.cpus, since: now };
    const alone = LeaseBook.overAlone(req);
    if (alone) return { granted: false, queued: false, ...alone, never: true };
    const over = this.over(lease, this.usage());
    // Queued ones are first in line; a refusing request only takes what is free now.
    if (!over && !(req.queue && this.queue.length > 0)) {
      this.leases.set(lease.id, lease);
      return { granted: true, fresh: true };
    }
    // A full line refuses: the book is carried from run to run, and must stay small.
    if (!req.queue || this.queue.length >= MAX_QUEUED) {
      return { granted: false, queued: false, ...(over ?? this.queueFull()), never: false };
    }
    this.queue.push({ ...lease, waiting: false });
    return { granted: false, queued: true, position: this.queue.length, fresh: true };
  }

  /**
   * Its holder has ended (`ended`), or will never start: the room is free, and a queued one leaves
   * the line. An ended holder is remembered, so asking again for its id takes no room.
   */
  release(id: string, ended = false): boolean {
    const queued = this.queue.length;
    this.queue = this.queue.filter((q) => q.id !== id);
    const freed = this.leases.delete(id) || this.queue.length !== queued;
    if (ended && !this.ended.includes(id)) this.ended = [...this.ended, id].slice(-ENDED_KEPT);
    return freed;
  }

  /** A queued execution's workflow says it waits. */
  waiting(id: string): void {
    const entry = this.queue.find((q) => q.id === id);
    if (entry) entry.waiting = true;
  }

  /**
   * Grants from the head of the queue while the head fits and waits; the ids to tell. A head that
   * quotas lowered since it queued can never fit: it goes when nothing else is held, rather than
   * stall the line.
   */
  admit(now: number): string[] {
    const granted: string[] = [];
    for (;;) {
      const head = this.queue[0];
      if (!head || !head.waiting) return granted;
      if (
        this.over(head, this.usage()) &&
        !(this.leases.size === 0 && LeaseBook.overAlone({ ...head, quotas: this.quotas }))
      )
        return granted;
      this.queue.shift();
      this.leases.set(head.id, { id: head.id, kind: head.kind, memoryMb: head.memoryMb, cpus: head.cpus, since: now });
      granted.push(head.id);
    }
  }

  /** Holders and queued ones granted or queued before `before`: those a sweep checks on. */
  holders(before: number): string[] {
    return [...this.leases.values(), ...this.queue].filter((l) => l.since < before).map((l) => l.id);
  }

  get empty(): boolean {
    return this.leases.size === 0 && this.queue.length === 0;
  }

  usage(): Usage {
    const usage = zeroUsage();
    for (const lease of this.leases.values()) add(usage, lease);
    return usage;
  }

  view(): QuotaView {
    return { usage: this.usage(), quotas: this.quotas, queued: this.queue.length };
  }

  carry(): CarriedBook {
    return { leases: [...this.leases.values()], queue: [...this.queue], quotas: this.quotas, ended: [...this.ended] };
  }

  /** The quota that the request alone passes, so that no wait can admit it; null when it fits an empty book. */
  static overAlone(req: Pick<LeaseRequest, 'kind' | 'memoryMb' | 'cpus' | 'quotas'>): Over | null {
    return overQuota(req.quotas, { ...req, id: '', since: 0 }, zeroUsage());
  }

  private over(lease: Lease, usage: Usage): Over | null {
    return overQuota(this.quotas, lease, usage);
  }

  private queueFull(): Over {
    return { limit: 'executions', max: this.quotas.executions ?? 0, inUse: this.usage().executions };
  }
}

type Over = { limit: LeaseLimit; max: number; inUse: number };

/** The first quota that `lease` on top of `usage` would pass, or null when it fits. */
function overQuota(quotas: TenantQuotas, lease: Lease, usage: Usage): Over | null {
  const after = { ...usage };
  add(after, lease);
  for (const limit of LEASE_LIMITS) {
    const max = quotas[limit];
    if (max !== undefined && after[limit] > max) return { limit, max, inUse: usage[limit] };
  }
  return null;
}

function zeroUsage(): Usage {
  return { executions: 0, sandboxes: 0, memoryMb: 0, cpus: 0 };
}

function add(usage: Usage, lease: Lease): void {
  usage[lease.kind === 'execution' ? 'executions' : 'sandboxes'] += 1;
  usage.memoryMb += lease.memoryMb;
  usage.cpus += lease.cpus;
}
