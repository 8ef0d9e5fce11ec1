import path from 'node:path';
import type Docker from 'dockerode';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerInterceptors } from '@temporalio/worker';
import { createHostActivities } from '../activities/host';
import { createProfileResolver } from '../activities/host/provision';
import { WarmPool, type PoolProfile } from '../activities/containers/warm-pool';
import { loadConfig, type AirlockConfig } from '../lib/node/config';
import { LABELS, POOL_NAME_PREFIX } from '../lib/containers';
import { admissionCapacity, hostCapacity, type HostResources } from '../activities/capacity/host-capacity';
import { HostAdmission, containerAsks } from '../activities/capacity/admission';
import { DEFAULT_POLICY, loadPolicies, type LoadedPolicy } from '../lib/node/policies';
import { loadRuntimes } from '../lib/node/runtimes';
import { prewarmProfiles } from './pool-prewarm';
import { HOSTS_QUEUE, TEMPLATE_BUILDS_QUEUE, hostQueue } from '../lib/task-queues';
import { createTemplateActivities, type TemplateActivities } from '../activities/templates';
import { pipWheel } from '../lib/node/pip';
import type { Logger } from '../lib/node/logger';
import type { AirlockMetrics } from '../lib/node/metrics';
import { tracingWorkerInterceptors } from '../lib/node/tracing';
import { workerDataConverter } from '../lib/node/temporal';
import { Reaper } from '../activities/containers/reaper';
import { loadSeccompProfiles } from '../lib/node/seccomp';
import { warmImagePageCache } from '../activities/containers/page-cache-warmer';
import { outputChunkSignal } from '../workflows/messages';
import { HostLedger } from '../activities/host/host-ledger';
import { installSupervisor } from '../activities/supervisor/install';
import { SupervisedSandboxes } from '../activities/supervisor/sandboxes';
import { STATE_DIR } from '../lib/node/paths';
import { engineErrorsInterceptor } from './engine-errors-interceptor';
import { FileOutputStore, startOutputSweeper } from '../lib/node/output-store';

const DRAIN_POLL_MS = 500;
/** A lost execution's ledger entries (its teardown never came) go when this host next starts and they are this old. */
const LEDGER_KEPT_MS = 24 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

export interface HostWorkerOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  docker: Docker;
  hostId: string;
  cluster: string;
  reaperIntervalMs: number;
  warmPageCache: boolean;
  log: Logger;
  metrics: AirlockMetrics;
  pool: AirlockConfig['pool'];
  resources: HostResources;
  /** How many times over the host may promise its CPUs (default 8). */
  cpuOvercommit?: number;
  /** Where the sandboxes' supervisor binary is put for the engine to mount; default from the environment. */
  supervisorDir?: string;
  /** Template builds' log store, scratch folder and limits; default from the environment. */
  templates?: AirlockConfig['templates'];
  /** Where long stage outputs are stored, and the preview results keep; default from the environment. */
  outputs?: AirlockConfig['outputs'];
}

export interface HostWorker {
  hostId: string;
  workers: Worker[];
  reaper: Reaper;
  pool: WarmPool | undefined;
  run(): Promise<void>;
  /**
   * Scale-in: take no new sandboxes, let those here finish (their stages come on this host's own
   * queue), then stop; `run()` resolves after. Past the timeout, what still runs takes the host-loss path.
   */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * One Docker host: a worker on the shared hosts queue that provisions, one on this host's own
 * queue for everything after, and the reaper.
 */
export async function createHostWorker(opts: HostWorkerOptions): Promise<HostWorker> {
  const info = (await opts.docker.info()) as { Runtimes?: Record<string, unknown> };
  const policies = loadPolicies();
  const defaultMemoryMb = policies.get(DEFAULT_POLICY)?.policy.limits.defaults.memoryMb ?? 256;
  const capacity = hostCapacity(opts.resources, defaultMemoryMb);
  const admission = new HostAdmission(admissionCapacity(opts.resources, opts.cpuOvercommit ?? 8));
  opts.log.info(admission.capacity, 'sandboxes on this host may hold this much at once');
  const hostLedger = new HostLedger(path.join(STATE_DIR, 'hosts', opts.hostId, 'executions'));
  await hostLedger.prune(LEDGER_KEPT_MS);
  const deps = {
    docker: opts.docker,
    hostLedger,
    supervisor: await installSupervisor(opts.supervisorDir ?? loadConfig().supervisorDir),
    sandboxes: new SupervisedSandboxes(opts.docker),
    hostId: opts.hostId,
    cluster: opts.cluster,
    seccompProfiles: loadSeccompProfiles(),
    runtimes: new Set(Object.keys(info.Runtimes ?? { runc: {} })),
    admission,
  };
  const pool = warmPoolFor(opts, deps, capacity);
  const outputSettings = opts.outputs ?? loadConfig().outputs;
  const outputStore = new FileOutputStore(outputSettings.dir);
  const templateSettings = opts.templates ?? loadConfig().templates;
  const activities = createHostActivities({
    ...deps,
    pool,
    outputs: { store: outputStore, previewBytes: outputSettings.previewBytes },
    // Through Temporal, so the API reads live output wherever it runs: see docs/architecture.md.
    liveOutput: (workflowId, chunk) => opts.client.workflow.getHandle(workflowId).signal(outputChunkSignal, chunk),
  });
  const templates = createTemplateActivities({
    docker: opts.docker,
    hostId: opts.hostId,
    runtimes: loadRuntimes(),
    logStore: new FileOutputStore(templateSettings.logDir),
    buildDir: templateSettings.buildDir,
    pipWheel: () => pipWheel(path.join(templateSettings.buildDir, 'cache')),
    limits: templateSettings,
    liveOutput: (workflowId, chunk) => opts.client.workflow.getHandle(workflowId).signal(outputChunkSignal, chunk),
  });
  const { shared, own, builds } = await queueWorkers(opts, activities, templates, capacity);
  const reaper = hostReaper(opts, { ledger: hostLedger, pool, admission });
  const here = sandboxesHere(opts, { admission, sandboxes: deps.sandboxes });

  return {
    hostId: opts.hostId,
    workers: [shared, own, builds],
    reaper,
    pool,
    async drain(timeoutMs) {
      for (const worker of [shared, builds]) if (worker.getState() === 'RUNNING') worker.shutdown();
      await pool?.drain();
      await waitForSandboxes(opts, here, timeoutMs);
      if (own.getState() === 'RUNNING') own.shutdown();
    },
    async run() {
      // Before any task: a teardown of a frozen container would block in the engine.
      await reaper.thawPaused().catch((err: unknown) => opts.log.warn({ err }, 'thawing paused containers failed'));
      reaper.start();
      // Before the workers poll: a sandbox being provisioned meanwhile must get one channel, not two.
      await here.reattach().catch((err: unknown) => opts.log.warn({ err }, 're-attaching to sandboxes failed'));
      const sweeper = startHousekeeping(opts, { outputStore, outputDir: outputSettings.dir, policies, pool, deps });
      const runs = [shared.run(), own.run(), builds.run()];
      try {
        await Promise.all(runs);
      } catch (err) {
        // Half a host is worse than none: the shared queue would hand out sandboxes nobody drives.
        for (const worker of [shared, own, builds]) if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.allSettled(runs);
        throw err;
      } finally {
        sweeper.stop();
        await reaper.stop();
        await pool?.drain();
      }
    },
  };
}

/** The host's warm pool, sized by its capacity unless the settings say otherwise; none when sized to zero. */
function warmPoolFor(
  opts: HostWorkerOptions,
  deps: Omit<ConstructorParameters<typeof WarmPool>[0], 'bounds' | 'log' | 'metrics'>,
  capacity: ReturnType<typeof hostCapacity>,
): WarmPool | undefined {
  const bounds = {
    minIdle: opts.pool.minIdle,
    maxIdle: opts.pool.maxIdle ?? capacity.poolMaxIdle,
    maxTotalIdle: opts.pool.maxTotalIdle ?? capacity.poolMaxTotalIdle,
    idleTtlMs: opts.pool.idleTtlMs,
    refillConcurrency: opts.pool.refillConcurrency ?? capacity.poolRefillConcurrency,
  };
  if (bounds.maxIdle <= 0) return undefined;
  const pool = new WarmPool({
    ...deps,
    bounds,
    log: opts.log.child({ component: 'warm-pool' }),
    metrics: opts.metrics,
  });
  opts.metrics.observePools(() => pool.stats());
  return pool;
}

/** Provisioning and scanning may run on any host; everything else on the host that holds the sandbox. */
async function queueWorkers(
  opts: HostWorkerOptions,
  activities: ReturnType<typeof createHostActivities>,
  templates: TemplateActivities,
  capacity: ReturnType<typeof hostCapacity>,
): Promise<{ shared: Worker; own: Worker; builds: Worker }> {
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    // Cancellation reaches an activity with a heartbeat response; keep that path short.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    // Let running stages finish (or be killed and reported) before the process exits.
    shutdownGraceTime: '10 seconds',
    interceptors: withEngineErrors(tracingWorkerInterceptors()),
    dataConverter: workerDataConverter(),
  } as const;
  const { provisionContainer, runStaticAnalysis, ...onThisHost } = activities;
  const shared = await Worker.create({
    ...common,
    taskQueue: HOSTS_QUEUE,
    activities: { provisionContainer, runStaticAnalysis },
    // A host takes no more than its engine can make at once, so a busy host leaves work to idle ones.
    maxConcurrentActivityTaskExecutions: capacity.provisionSlots,
  });
  const own = await Worker.create({
    ...common,
    taskQueue: hostQueue(opts.hostId),
    activities: { ...onThisHost, removeTemplateImage: templates.removeTemplateImage },
    maxConcurrentActivityTaskExecutions: capacity.sandboxSlots,
  });
  // Builds take minutes and a core or two: one at a time per host, on a queue of their own, so
  // they never hold a provisioning slot.
  const builds = await Worker.create({
    ...common,
    taskQueue: TEMPLATE_BUILDS_QUEUE,
    activities: { buildTemplate: templates.buildTemplate },
    maxConcurrentActivityTaskExecutions: 1,
  });
  return { shared, own, builds };
}

/** Waits, up to the timeout, for the sandboxes on this host to end. */
async function waitForSandboxes(
  opts: Pick<HostWorkerOptions, 'log'>,
  here: { live(): Promise<number> },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let live = await here.live();
  opts.log.info({ live, timeoutMs }, 'draining: no new sandboxes; waiting for those here to finish');
  while (live > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    live = await here.live();
  }
  opts.log.info({ left: live }, live === 0 ? 'drained' : 'drain timed out; stopping with sandboxes left');
}

/** The reaper of this host's containers; the admission's room follows the containers it finds. */
function hostReaper(
  opts: HostWorkerOptions,
  { ledger, pool, admission }: { ledger: HostLedger; pool: WarmPool | undefined; admission: HostAdmission },
): Reaper {
  return new Reaper({
    docker: opts.docker,
    client: opts.client,
    hostId: opts.hostId,
    cluster: opts.cluster,
    intervalMs: opts.reaperIntervalMs,
    metrics: opts.metrics,
    ledger,
    ...(pool ? { pool } : {}),
    // Room follows the containers: gone ones free theirs, ones no provision here holds (a retry's
    // leftover, a worker before this one) are counted.
    onSwept: async (present) => {
      admission.forgetMissing(present);
      const unheld = [...present].filter((name) => !admission.holds(name));
      if (unheld.length > 0) admission.adopt(await containerAsks(opts.docker, unheld));
    },
    log: opts.log.child({ component: 'reaper' }),
  });
}

/** The sandboxes running on this host (pool containers aside): how many, and taking them back after a restart. */
function sandboxesHere(
  opts: HostWorkerOptions,
  { admission, sandboxes }: { admission: HostAdmission; sandboxes: SupervisedSandboxes },
): { live(): Promise<number>; reattach(): Promise<void> } {
  /** By name; with `all`, stopped ones too. */
  const names = async (all: boolean) =>
    (
      await opts.docker.listContainers({
        all,
        filters: { label: [`${LABELS.cluster}=${opts.cluster}`, `${LABELS.host}=${opts.hostId}`] },
      })
    )
      .map((c) => c.Names[0]?.replace(/^\//, '') ?? c.Id)
      .filter((name) => !name.startsWith(POOL_NAME_PREFIX));
  return {
    live: async () => (await names(true)).length,
    // A restarted worker takes back its sandboxes' channels at once: a step waits on no attach.
    async reattach() {
      const running = await names(false);
      if (running.length === 0) return;
      // What a worker before this one admitted still holds its room.
      admission.adopt(await containerAsks(opts.docker, running));
      const reattached = await sandboxes.reattach(running);
      opts.log.info({ reattached, running: running.length }, 're-attached to the sandboxes running here');
    },
  };
}

/** What runs beside the workers: the stored-output sweeper, the warm pool's start and the page-cache warmer. */
function startHousekeeping(
  opts: HostWorkerOptions,
  {
    outputStore,
    outputDir,
    policies,
    pool,
    deps,
  }: {
    outputStore: FileOutputStore;
    outputDir: string;
    policies: Map<string, LoadedPolicy>;
    pool: WarmPool | undefined;
    deps: Parameters<typeof createProfileResolver>[0];
  },
): { stop(): void } {
  // Stored outputs are kept as long as the longest artifact retention of any policy.
  const sweeper = startOutputSweeper({
    store: outputStore,
    maxAgeMs: Math.max(1, ...[...policies.values()].map((p) => p.policy.retention.artifactsDays)) * DAY_MS,
    intervalMs: DAY_MS,
    onSwept: (removed) => {
      if (removed > 0) opts.log.info({ removed, dir: outputDir }, 'removed expired stored outputs');
    },
    onError: (err) => opts.log.warn({ err, dir: outputDir }, 'sweeping stored outputs failed'),
  });
  if (pool) {
    // In the background too: until it is warm, containers are made on demand as before.
    void startPool(pool, deps, policies, opts).catch((err: unknown) =>
      opts.log.warn({ err }, 'starting the warm pool failed'),
    );
  }
  // In the background: the host serves at once, a few sandboxes may start on a cold cache.
  if (opts.warmPageCache) {
    void warmImagePageCache(opts.docker, opts.log).catch((err: unknown) =>
      opts.log.warn({ err }, 'warming the page cache failed'),
    );
  }
  return sweeper;
}

/** Clears what an earlier process left, then keeps the default policy's profile warm for each prewarmed runtime. */
async function startPool(
  pool: WarmPool,
  deps: Parameters<typeof createProfileResolver>[0],
  policies: Map<string, LoadedPolicy>,
  opts: Pick<HostWorkerOptions, 'pool' | 'log'>,
): Promise<void> {
  const resolveProfile = createProfileResolver(deps);
  const { profiles, unknown } = prewarmProfiles(opts.pool.prewarm, policies, loadRuntimes());
  if (unknown.length > 0) opts.log.warn({ runtimes: unknown }, 'not prewarming unknown runtimes');
  const resolved: PoolProfile[] = [];
  for (const input of profiles) {
    try {
      resolved.push((await resolveProfile(input)).profile);
    } catch (err) {
      opts.log.warn({ err, image: input.image }, 'not prewarming a profile this host cannot make');
    }
  }
  await pool.start(resolved);
  opts.log.info({ profiles: resolved.map((p) => p.imageTag) }, 'warm pool started');
}

/** Engine errors are typed innermost, so tracing records the same failure the workflow sees. */
function withEngineErrors(interceptors: WorkerInterceptors): WorkerInterceptors {
  return { ...interceptors, activity: [...(interceptors.activity ?? []), engineErrorsInterceptor] };
}
