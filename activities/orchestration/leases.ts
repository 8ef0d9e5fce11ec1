/** Where a lease holder's workflow stands: still running, closed, or never started. */
export type HolderState = 'running' | 'closed' | 'missing';

/** Holders checked at once, so a tenant with many leases does not flood the frontend. */
const SWEEP_CONCURRENCY = 8;

/** The quota workflow's sweep: which holders have ended without giving their lease back. */
export function createLeaseActivities({ holderState }: { holderState?: (id: string) => Promise<HolderState> }) {
  /** `ended`: closed without giving its lease back; `missing`: never started. */
  async function leaseSweep({ ids }: { ids: string[] }): Promise<{ ended: string[]; missing: string[] }> {
    const found = { ended: [] as string[], missing: [] as string[] };
    if (!holderState) return found;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const state = await holderState(id);
        if (state === 'closed') found.ended.push(id);
        else if (state === 'missing') found.missing.push(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, ids.length) }, worker));
    return found;
  }
  return { leaseSweep };
}
