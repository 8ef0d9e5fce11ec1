/**
 * Two hosts, each a host worker with its own Docker engine. Under a burst, provisioning spreads over
 * both; when one machine dies whole (worker and engine, SIGKILL) mid-run, what it was provisioning
 * is provisioned again on the other, what it was running ends HostLost, nothing hangs, and its
 * containers are reaped when it comes back.
 */
import os from 'node:os';
import { temporal } from '@temporalio/proto';
import { ErrorType } from '../../lib/errors';
import { HOST, TENANT as TENANT_ATTRIBUTE } from '../../lib/search-attributes';
import type { MultiHostCluster } from '../support/multi-host-cluster';
import { eventually } from '../support/docker';
import { RUN, leftBehind, settle, startFaultsCluster, tally, type Outcome } from './burst';

const EXECUTIONS = 80;
const TENANT = 'host-loss';
/** Long enough that the dying host has programs running, short enough to keep the suite quick. */
const PROGRAM_SECONDS = 2;

let cluster: MultiHostCluster;

beforeAll(async () => {
  cluster = await startFaultsCluster('faults-host-loss');
});

afterAll(async () => {
  await cluster?.stop();
});

let outcomes: Outcome[];
let inFlight: string[];

test(
  'a host lost mid-burst: every execution ends, none hangs, and its containers are reaped on return',
  async () => {
    const lost = cluster.hostOnSecondEngine;
    const survivor = cluster.hosts[0]!;
    const airlock = await cluster.tenantClient(TENANT);
    const submitted = Promise.all(
      Array.from({ length: EXECUTIONS }, (_, i) =>
        airlock.executions.create(
          { language: 'python', code: `import time\ntime.sleep(${PROGRAM_SECONDS})\nprint(${i})` },
          { idempotencyKey: `${TENANT}-${RUN}-${i}` },
        ),
      ),
    );
    // Both hosts take work from the shared queue, and have provisioned some, before one of them dies.
    await eventually(
      'both hosts running programs',
      async () => (await runningOn(survivor.id)) >= 3 && (await runningOn(lost.id)) >= 3,
      60_000,
    );
    // The machine hangs before it dies: its engine stops answering, so provisions it takes stay in flight.
    lost.engine!.freeze();
    const identity = `${lost.worker.child.pid}@${os.hostname()}`;
    inFlight = await eventually(
      'the hanging host to hold provisions',
      async () => {
        const found = await provisionsHeldBy(identity);
        return found.length > 0 && found;
      },
      30_000,
    );
    const crashedAt = Date.now();
    await lost.crash();
    const ids = (await submitted).map((e) => e.id);

    outcomes = await settle(cluster, TENANT, 120_000);
    const byHost = tally(outcomes, (o) => o.host);
    const summary = {
      byHost,
      outcomes: tally(outcomes, (o) => o.error?.type ?? o.status),
      reprovisioned: inFlight.length,
    };
    console.log(`host loss: ${JSON.stringify(summary)}`);
    expect(outcomes.map((o) => o.id).sort()).toEqual([...ids].sort());
    expect(tally(outcomes, (o) => o.workflowStatus)).toEqual({ COMPLETED: EXECUTIONS });
    // None hangs: past the heartbeat and schedule-to-start timeouts, the dead host's work has ended.
    const lastClose = Math.max(...outcomes.map((o) => o.closedAt));
    expect(lastClose - crashedAt).toBeLessThan(90_000);
    expect(byHost[lost.id]).toBeGreaterThan(0);
    expect(byHost[survivor.id]).toBeGreaterThan(0);

    // The dead engine's containers stay until the machine is back; then its reaper removes them.
    await lost.recover();
    await eventually(
      'the returned host to reap what its executions left',
      async () => (await leftBehind(cluster)).length === 0,
      60_000,
    );
  },
  6 * 60_000,
);

test("the dead host's provisions moved to the survivor and ran; only what it was running ended HostLost", () => {
  expect(outcomes).toBeDefined();
  const lost = cluster.hostOnSecondEngine.id;
  const survivor = cluster.hosts[0]!.id;
  const moved = outcomes.filter((o) => inFlight.includes(o.id)).sort((a, b) => a.id.localeCompare(b.id));
  expect(moved.map((o) => ({ id: o.id, host: o.host, status: o.status }))).toEqual(
    inFlight.map((id) => ({ id, host: survivor, status: 'succeeded' })),
  );
  const failed = outcomes.filter((o) => o.status !== 'succeeded');
  expect(failed.filter((o) => o.error?.type !== ErrorType.HostLost || o.host !== lost)).toEqual([]);
});

test('stopped gracefully, the hosts leave no container on either engine', async () => {
  await cluster.stopWorkers();
  expect(await cluster.containers()).toEqual([]);
});

/** The tenant's executions still running that a host has provisioned. */
async function runningOn(hostId: string): Promise<number> {
  const query = `${TENANT_ATTRIBUTE.name} = '${TENANT}' AND ${HOST.name} = '${hostId}' AND ExecutionStatus = 'Running'`;
  return (await cluster.client.workflow.count(query)).count;
}

/** The running executions whose provisioning a worker (by its Temporal identity) has taken and not finished. */
async function provisionsHeldBy(identity: string): Promise<string[]> {
  const held: string[] = [];
  const query = `${TENANT_ATTRIBUTE.name} = '${TENANT}' AND ExecutionStatus = 'Running'`;
  for await (const info of cluster.client.workflow.list({ query })) {
    const { raw } = await cluster.client.workflow.getHandle(info.workflowId).describe();
    const holds = (raw.pendingActivities ?? []).some(
      (a) =>
        a.activityType?.name === 'provisionContainer' &&
        a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
        a.lastWorkerIdentity === identity,
    );
    if (holds) held.push(info.workflowId);
  }
  return held.sort((a, b) => a.localeCompare(b));
}
