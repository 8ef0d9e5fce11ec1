import type { Client } from '@temporalio/client';
import { TenantLeases } from '../../api/tenant-leases';
import type { LeaseRequest } from '../../lib/schemas/quotas';
import type { Principal } from '../../lib/api-keys';

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
  return { client: { workflow: { executeUpdateWithStart } } as unknown as Client, seen };
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
