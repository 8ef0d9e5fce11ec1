/**
 * The tenant quota workflow's failure paths, on the run's real dev server: a sweep that fails
 * leaves the book standing and the next sweep frees what ended; a request whose quota workflow no
 * worker runs is answered 503 `busy` at its bound rather than held for ever.
 */
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import { TenantLeases } from '../../api/tenant-leases';
import { HttpError } from '../../api/errors';
import type { Principal } from '../../lib/node/api-keys';
import { connectWithRetry, createClient, workerDataConverter } from '../../lib/node/temporal';
import { acquireLeasesUpdate, quotaUsageQuery } from '../../workflows/messages';
import { WORKFLOW_BUNDLE_PATH } from '../../workers/workflow-bundle';
import { eventually } from '../support/docker';
import { quotaWorkflowId } from '../../lib/quota-ids';
import { IDLE_NAMESPACE, readTestEnv } from '../support/test-env';

let connection: Connection;
let native: NativeConnection;
let client: Client;
beforeAll(async () => {
  // The sweep's planned failure would be logged as a warning: only errors are news here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { server } = readTestEnv();
  connection = await connectWithRetry({ address: server.address });
  native = await NativeConnection.connect({ address: server.address });
  client = createClient(connection, 'default');
});
afterAll(async () => {
  await native?.close();
  await connection?.close();
});

test('a sweep that fails leaves every lease held, and the next sweep frees the one that ended', async () => {
  const taskQueue = `quota-test-${crypto.randomUUID()}`;
  const sweeps: string[][] = [];
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
    dataConverter: workerDataConverter(),
    activities: {
      leaseSweep: async ({ ids }: { ids: string[] }) => {
        sweeps.push(ids);
        // The first: the frontend did not answer (no retry, so the workflow sees it at once).
        if (sweeps.length === 1) throw ApplicationFailure.nonRetryable('frontend unavailable');
        return { ended: ids, missing: [] };
      },
    },
  });
  await worker.runUntil(async () => {
    const handle = await client.workflow.start('tenantQuotaWorkflow', {
      taskQueue,
      workflowId: `quota-test-${crypto.randomUUID()}`,
      args: [{ tenant: 'sweep-test', sweep: { intervalMs: 500, graceMs: 0 } }],
    });
    const { answers } = await handle.executeUpdate(acquireLeasesUpdate, {
      args: [
        {
          requests: [
            { id: 'ex_holder', kind: 'execution', memoryMb: 64, cpus: 1, quotas: { executions: 1 }, queue: false },
          ],
        },
      ],
    });
    expect(answers).toEqual([{ granted: true, fresh: true }]);
    await eventually('a second sweep', async () => sweeps.length >= 2);
    // The failed sweep changed nothing; the one after it released the holder that had ended.
    expect(sweeps[0]).toEqual(['ex_holder']);
    await eventually('the lease to be freed', async () => {
      const view = await handle.query(quotaUsageQuery);
      return view.usage.executions === 0;
    });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test over');
  });
});

test('with no worker to answer, acquiring a lease is a 503 busy at its bound', async () => {
  const idle = createClient(connection, IDLE_NAMESPACE);
  const leases = new TenantLeases(idle, { acquireTimeoutMs: 1_000 });
  const principal = {
    tenant: 'idle-tenant',
    keyId: 'k',
    label: '',
    scopes: ['submit'],
    policies: { allowed: null, default: 'default', from: 'none' },
    quotas: { executions: 1 },
  } satisfies Principal;
  const started = Date.now();
  const refused = await leases
    .acquire(principal, { id: 'ex_idle', kind: 'execution', memoryMb: 64, cpus: 1 })
    .catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(HttpError);
  expect(refused).toMatchObject({ status: 503, code: 'busy', headers: { 'Retry-After': '1' } });
  expect(Date.now() - started).toBeLessThan(5_000);
  await idle.workflow
    .getHandle(quotaWorkflowId('idle-tenant'))
    .terminate()
    .catch(() => undefined);
});
