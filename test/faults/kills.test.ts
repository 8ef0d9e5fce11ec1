/**
 * kill -9, mid-burst, of each process in turn: a host worker, the orchestration worker, the API,
 * the Temporal dev server and a Docker engine. Each time every accepted execution reaches a terminal
 * state, none is lost or duplicated, and no container is left behind.
 */
import { ErrorType } from '../../lib/errors';
import type { MultiHostCluster } from '../support/multi-host-cluster';
import { eventually } from '../support/docker';
import {
  executionContainers,
  leftBehind,
  runningCount,
  settle,
  startFaultsCluster,
  submitBurst,
  tally,
  type Outcome,
} from './burst';

const BURST = 100;
/** The fault lands once this many submissions of the burst have been accepted. */
const KILL_AFTER_ACCEPTED = 30;

let cluster: MultiHostCluster;

beforeAll(async () => {
  cluster = await startFaultsCluster('faults-kills');
});

afterAll(async () => {
  await cluster?.stop();
});

interface Fault {
  name: string;
  tenant: string;
  /** What the processes had in flight when the fault landed must be there to lose. */
  ready(): Promise<boolean>;
  inject(): Promise<void>;
  /** The error types an execution on the victim host may end with; none when no host lost anything. */
  allowedErrors: string[];
}

const victimBusy = async () => (await executionContainers(cluster.hostOnSecondEngine.docker, cluster)).length >= 2;
const anyBusy = async () => (await executionContainers(cluster.systemDocker, cluster)).length > 0 || victimBusy();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FAULTS: Fault[] = [
  {
    name: 'a host worker',
    tenant: 'kill-host-worker',
    ready: victimBusy,
    async inject() {
      await cluster.hostOnSecondEngine.worker.kill();
      await pause(1_000);
      await cluster.hostOnSecondEngine.restartWorker();
    },
    // What that worker was running may have run: its retry on the restarted worker says so rather
    // than run it twice. What was queued for it waits for its return.
    allowedErrors: [ErrorType.HostLost, ErrorType.StageInterrupted],
  },
  {
    name: 'the orchestration worker',
    tenant: 'kill-orchestrator',
    ready: anyBusy,
    async inject() {
      await cluster.orchestrator.kill();
      await pause(1_000);
      await cluster.restartOrchestrator();
    },
    allowedErrors: [],
  },
  {
    name: 'the API',
    tenant: 'kill-api',
    // Mid-submission: requests in flight get no answer and are retried with the same key.
    ready: async () => true,
    async inject() {
      await cluster.api.kill();
      await pause(1_000);
      await cluster.restartApi();
    },
    allowedErrors: [],
  },
  {
    name: 'the Temporal dev server',
    tenant: 'kill-temporal',
    ready: anyBusy,
    inject: () => cluster.crashTemporal(1_000),
    allowedErrors: [],
  },
  {
    name: "a host's Docker engine",
    tenant: 'kill-dockerd',
    ready: victimBusy,
    async inject() {
      await cluster.engine.kill();
      await pause(1_000);
      await cluster.engine.restart();
    },
    allowedErrors: [
      ErrorType.HostLost,
      ErrorType.ContainerGone,
      ErrorType.EngineUnavailable,
      ErrorType.StageInterrupted,
    ],
  },
];

const KNOWN_ERRORS: string[] = Object.values(ErrorType);

describe.each(FAULTS)('kill -9 $name mid-burst', (fault) => {
  let outcomes: Outcome[];

  test(
    'every accepted execution ends, none lost or duplicated',
    async () => {
      const airlock = await cluster.tenantClient(fault.tenant);
      let acceptedEnough!: () => void;
      const triggered = new Promise<void>((resolve) => (acceptedEnough = resolve));
      const submitting = submitBurst(airlock, fault.tenant, fault.tenant, BURST, (n) => {
        if (n >= KILL_AFTER_ACCEPTED) acceptedEnough();
      });
      await triggered;
      await eventually(`work in flight for ${fault.name} to lose`, fault.ready, 60_000);
      // Mid-burst: executions are running when the fault lands.
      expect(await runningCount(cluster, fault.tenant)).toBeGreaterThan(0);
      await fault.inject();
      const ids = await submitting;
      outcomes = await settle(cluster, fault.tenant, 180_000);
      console.log(`${fault.name}: ${JSON.stringify(tally(outcomes, (o) => o.error?.type ?? o.status))}`);

      expect(new Set(ids).size).toBe(BURST);
      expect(outcomes.map((o) => o.id).sort()).toEqual([...ids].sort());
      // The workflow always returns the execution's result, whatever became of the execution.
      expect(tally(outcomes, (o) => o.workflowStatus)).toEqual({ COMPLETED: BURST });
      // Whatever did not succeed says why.
      const unexplained = outcomes.filter(
        (o) => o.status !== 'succeeded' && !KNOWN_ERRORS.includes(o.error?.type ?? ''),
      );
      expect(unexplained).toEqual([]);
    },
    6 * 60_000,
  );

  test('no container is left behind', async () => {
    expect(outcomes).toBeDefined();
    await eventually(
      'every execution container to be removed',
      async () => (await leftBehind(cluster)).length === 0,
      60_000,
    );
  });

  test('only what ran on the victim fails, for the reason the fault gives', () => {
    expect(outcomes).toBeDefined();
    const victim = fault.allowedErrors.length > 0 ? cluster.hostOnSecondEngine.id : undefined;
    const failed = outcomes.filter((o) => o.status !== 'succeeded');
    expect(failed.filter((o) => o.host !== victim || !fault.allowedErrors.includes(o.error?.type ?? ''))).toEqual([]);
  });
});

test('stopped gracefully, the hosts leave no container on either engine', async () => {
  await cluster.stopWorkers();
  expect(await cluster.containers()).toEqual([]);
});
