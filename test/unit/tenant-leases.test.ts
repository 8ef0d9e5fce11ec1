import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { TenantLeases } from '../../api/tenant-leases';
import type { LeaseRequest } from '../../lib/schemas/quotas';
import type { Principal } from '../../lib/node/api-keys';

/** A quota workflow that grants the first `room` and refuses the rest, and counts updates in flight. */
function fakeClient(room: number) {
  const seen = { inFlight: 0, most: 0, updates: 0, granted: 0 };
  const executeUpdateWithStart = async (_update: unknown, { args }: { args: [{ requests: LeaseRequest[] }] }) => {
    seen.updates += 1;
    seen.most = Math.max(seen.most, ++seen.inFlight);
    await new Promise((r) => setTimeout(r, 5));
    seen.inFlight -= 1;
    return {
      answers: args[0].requests.map(() =>
        seen.granted++ < room
          ? { granted: true, fresh: true }
          : { granted: false, queued: false, limit: 'executions', max: room, inUse: room, never: false },
      ),
    };
  };
  const withAbortSignal = (_signal: AbortSignal, fn: () => Promise<unknown>) => fn();
  return { client: { workflow: { executeUpdateWithStart }, withAbortSignal } as unknown as Client, seen };
}

const principal = (quotas: Principal['quotas']): Principal => ({
  tenant: 't',
  keyId: 'k',
  label: '',
  scopes: ['submit'],
  policies: { allowed: null, default: 'default', from: 'none' },
  quotas,
});
const needs = (i: number) => ({ id: `ex_${i}`, kind: 'execution' as const, memoryMb: 256, cpus: 1 });

test('a burst from one process is one update in flight at a time, each request answered in its order', async () => {
  const { client, seen } = fakeClient(25);
  const leases = new TenantLeases(client);
  const outcomes = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      leases.acquire(principal({ executions: 25 }), needs(i)).then(
        () => 'ok',
        (e: { status?: number }) => e.status,
      ),
    ),
  );
  expect(seen.most).toBe(1);
  expect(seen.updates).toBeLessThan(40);
  expect(outcomes.filter((o) => o === 'ok')).toHaveLength(25);
  expect(outcomes.filter((o) => o === 429)).toHaveLength(15);
});

test('a tenant without in-flight quotas asks nothing', async () => {
  const { client, seen } = fakeClient(0);
  expect(await new TenantLeases(client).acquire(principal({ requestsPerSecond: 5 }), needs(1))).toBeUndefined();
  expect(seen.updates).toBe(0);
});

test('a lease a duplicate took is given back only when no run of its id is going on', async () => {
  const signals: string[] = [];
  let status: 'RUNNING' | 'COMPLETED' | 'missing' = 'RUNNING';
  const client = {
    workflow: {
      getHandle: (id: string) => ({
        describe: async () => {
          if (status === 'missing') throw new WorkflowNotFoundError('gone', id, undefined);
          return { status: { name: status } };
        },
        signal: async () => {
          signals.push(id);
        },
      }),
    },
  } as unknown as Client;
  const leases = new TenantLeases(client);
  // The same key's other request won the start: its running execution holds this lease.
  await leases.release('t', 'ex_1', { queued: false, fresh: true });
  expect(signals).toEqual([]);
  status = 'COMPLETED';
  await leases.release('t', 'ex_1', { queued: false, fresh: true });
  status = 'missing';
  await leases.release('t', 'ex_2', { queued: true, fresh: true });
  // Not taken by this request: never given back by it.
  await leases.release('t', 'ex_3', { queued: false, fresh: false });
  expect(signals).toEqual(['airlock-quota-t', 'airlock-quota-t']);
});
