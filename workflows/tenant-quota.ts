import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeaseRequest } from '../lib/schemas/quotas';
import { LeaseBook, type CarriedBook } from './lease-book';
import {
  acquireLeasesUpdate,
  leaseGrantedSignal,
  leaseWaitingSignal,
  quotaUsageQuery,
  releaseLeaseSignal,
} from './messages';
import { leaseSweep } from './activities';

export interface TenantQuotaInput {
  tenant: string;
  /** How often held leases are checked against their holders, and how young a lease goes unchecked. */
  sweep?: { intervalMs: number; graceMs: number };
  carried?: CarriedBook;
}

/** By default held leases are checked each minute, and one younger than a minute (its holder may not have started yet) is not. */
const DEFAULT_SWEEP = { intervalMs: 60_000, graceMs: 60_000 };
/** Continue as new past this many events, well before Temporal would ask. */
const MAX_HISTORY_EVENTS = 4_000;

/**
 * One tenant's leases, kept by one long-lived workflow: every API process asks it, so the quota
 * holds across a cluster, and it survives any process. Each grant and release is in its history.
 * Holders release their lease as they end; a sweep frees the leases of holders that ended without
 * saying so (terminated) or never started (an API that died between the grant and the start).
 */
export async function tenantQuotaWorkflow(input: TenantQuotaInput): Promise<void> {
  const book = new LeaseBook(input.carried);
  let changed = false;
  setHandler(
    acquireLeasesUpdate,
    ({ requests }) => {
      changed = true;
      return { answers: requests.map((request) => book.request(request, Date.now())) };
    },
    { validator: ({ requests }) => requests.forEach(leaseRequestProblem) },
  );
  setHandler(releaseLeaseSignal, ({ id, ended }) => {
    changed = book.release(id, ended === true) || changed;
  });
  setHandler(leaseWaitingSignal, ({ id }) => {
    book.waiting(id);
    changed = true;
  });
  setHandler(quotaUsageQuery, () => book.view());

  const sweep = input.sweep ?? DEFAULT_SWEEP;
  let nextSweep = Date.now() + sweep.intervalMs;
  const due = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;
  for (;;) {
    if (book.empty) await condition(() => changed || due());
    else await condition(() => changed || due(), Math.max(1, nextSweep - Date.now()));
    changed = false;
    // A grant that could not be told frees its room: look at the line again.
    if (await tellGranted(book, book.admit(Date.now()))) changed = true;
    if (!book.empty && Date.now() >= nextSweep) {
      nextSweep = Date.now() + sweep.intervalMs;
      try {
        const { ended, missing } = await leaseSweep({ ids: book.holders(Date.now() - sweep.graceMs) });
        for (const id of ended) changed = book.release(id, true) || changed;
        for (const id of missing) changed = book.release(id) || changed;
      } catch {
        // The frontend did not answer: the book stands, and the next sweep asks again.
      }
    }
    if (due() && !changed) {
      await condition(allHandlersFinished);
      // No await from here to the new run: nothing can change the book in between.
      if (!changed) await continueAsNew<typeof tenantQuotaWorkflow>({ ...input, carried: book.carry() });
    }
  }
}

/** Signals each granted execution; one that is gone gives its lease back. Whether any did. */
async function tellGranted(book: LeaseBook, ids: string[]): Promise<boolean> {
  const told = await Promise.all(
    ids.map(async (id) => {
      try {
        await getExternalWorkflowHandle(id).signal(leaseGrantedSignal, { id });
        return true;
      } catch {
        book.release(id);
        return false;
      }
    }),
  );
  return told.includes(false);
}

/** Refused before history: only the API sends these, but a malformed one must not corrupt the book. */
function leaseRequestProblem(request: LeaseRequest): void {
  const ok =
    typeof request?.id === 'string' &&
    (request.kind === 'execution' || request.kind === 'sandbox') &&
    Number.isFinite(request.memoryMb) &&
    Number.isFinite(request.cpus) &&
    typeof request.quotas === 'object' &&
    typeof request.queue === 'boolean';
  if (!ok) throw new TypeError('malformed lease request');
}
