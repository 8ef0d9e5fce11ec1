/**
 * 1,000 executions through the whole deployment (API process, Temporal, orchestration worker, two
 * hosts on two engines), submitted in bursts of 100: all complete, both hosts take part, and the
 * throughput is written to burst-throughput.json in the test run's folder for the docs to quote.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MultiHostCluster } from '../support/multi-host-cluster';
import { eventually } from '../support/docker';
import { TEST_DIR } from '../support/test-env';
import {
  leftBehind,
  percentile,
  settle,
  startFaultsCluster,
  submitBurst,
  tally,
  untilRunningAtMost,
  type Outcome,
} from './burst';

const EXECUTIONS = 1_000;
const BURST = 100;
/** The next burst goes in once no more than this many are still running: a queue, not a flood. */
const MAX_OUTSTANDING = 50;
const TENANT = 'burst';
const RESULT_FILE = path.join(TEST_DIR, 'burst-throughput.json');

let cluster: MultiHostCluster;

beforeAll(async () => {
  cluster = await startFaultsCluster('faults-burst');
});

afterAll(async () => {
  await cluster?.stop();
});

let outcomes: Outcome[];

test(
  `${EXECUTIONS} executions in bursts of ${BURST} all end, none lost or duplicated, spread over both hosts`,
  async () => {
    const airlock = await cluster.tenantClient(TENANT);
    const loadAtStart = os.loadavg()[0]!;
    const started = Date.now();
    const ids: string[] = [];
    for (let burst = 0; burst < EXECUTIONS / BURST; burst++) {
      await untilRunningAtMost(cluster, TENANT, MAX_OUTSTANDING, 120_000);
      ids.push(...(await submitBurst(airlock, TENANT, `burst-${burst}`, BURST)));
    }
    const submittedMs = Date.now() - started;
    outcomes = await settle(cluster, TENANT, 300_000);

    // None lost, none twice: exactly the ids the keys name, each once, each with its result.
    expect(new Set(ids).size).toBe(EXECUTIONS);
    expect(outcomes.map((o) => o.id).sort()).toEqual([...ids].sort());
    expect(tally(outcomes, (o) => o.workflowStatus)).toEqual({ COMPLETED: EXECUTIONS });

    const byHost = tally(outcomes, (o) => o.host);
    const seconds = (Math.max(...outcomes.map((o) => o.closedAt)) - started) / 1000;
    const latencies = outcomes.map((o) => o.closedAt - o.startedAt);
    const report = {
      executions: EXECUTIONS,
      burstSize: BURST,
      maxOutstanding: MAX_OUTSTANDING,
      hosts: cluster.hosts.length,
      cpus: os.cpus().length,
      // The machine's 1-minute load average: other work on it shows here, and in the figures.
      loadAverage: { atStart: round(loadAtStart), atEnd: round(os.loadavg()[0]!) },
      program: 'python: print(i)',
      submitSeconds: round(submittedMs / 1000),
      seconds: round(seconds),
      executionsPerSecond: round(EXECUTIONS / seconds),
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies) },
      byHost,
      statuses: tally(outcomes, (o) => o.error?.type ?? o.status),
      measuredAt: new Date().toISOString(),
    };
    fs.writeFileSync(RESULT_FILE, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`burst throughput: ${JSON.stringify(report)}`);

    // Provisioning is a shared queue that every host polls: under a burst each takes a real share.
    for (const host of cluster.hosts) expect(byHost[host.id] ?? 0).toBeGreaterThanOrEqual(EXECUTIONS / 5);
    // Every container went with its execution.
    await eventually('no execution container left', async () => (await leftBehind(cluster)).length === 0, 60_000);
  },
  20 * 60_000,
);

test('every one of them succeeded', () => {
  expect(outcomes).toBeDefined();
  // No host is lost here: a HostLost would be a stage the server recorded as started that no host
  // ever ran (a heartbeat timeout under load), reported as a lost host.
  expect(outcomes.filter((o) => o.status !== 'succeeded')).toEqual([]);
});

test('stopped gracefully, the hosts leave no container on either engine', async () => {
  await cluster.stopWorkers();
  expect(await cluster.containers()).toEqual([]);
});

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
