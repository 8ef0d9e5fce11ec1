import { condition, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import { quotaWorkflowId } from '../lib/quota-ids';
import { leaseGrantedSignal, leaseWaitingSignal, releaseLeaseSignal } from './messages';

/** Workflow version marker: an execution or sandbox holding a tenant lease waits for it and gives it back. */
export const TENANT_LEASES = 'tenant-leases';

/** Whether this run holds a lease: the API took one for it. Histories from before take none. */
export function holdsLease(lease: unknown): boolean {
  return lease !== undefined && patched(TENANT_LEASES);
}

/** A queued execution's turn: it says it waits, then waits for its grant (cancellable). */
export async function waitForLease({ tenant, id }: { tenant: string; id: string }): Promise<void> {
  let granted = false;
  setHandler(leaseGrantedSignal, () => {
    granted = true;
  });
  await getExternalWorkflowHandle(quotaWorkflowId(tenant)).signal(leaseWaitingSignal, { id });
  await condition(() => granted);
}

/** Gives the lease back; should the quota workflow not answer, its sweep frees the lease. */
export async function releaseLease({ tenant, id }: { tenant: string; id: string }): Promise<void> {
  try {
    await getExternalWorkflowHandle(quotaWorkflowId(tenant)).signal(releaseLeaseSignal, { id, ended: true });
  } catch {
    // The sweep finds this workflow closed.
  }
}
