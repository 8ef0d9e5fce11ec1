import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { Connection, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { ApiKeyStore } from '../../lib/node/api-keys';
import { LABELS } from '../../lib/containers';
import { connectWithRetry, createClient, ensureSearchAttributes } from '../../lib/node/temporal';
import { TENANT } from '../../lib/search-attributes';
import { Airlock } from '../../sdk/src';
import { ApiProcess } from './api-process';
import { DockerEngine } from './docker-engine';
import { containersWithLabels, eventually, removeContainers } from './docker';
import { killDevServer, restartDevServer, startDevServer, type DevServer } from './temporal-server';
import { TEST_CLUSTER, TEST_DIR } from './test-env';
import { WorkerProcess } from './worker-process';

export interface MultiHostClusterOptions {
  /** Names the run's folder, its cluster label and its host ids; one per test file. */
  name: string;
  /** The second engine (scripts/engine.sh); the first host uses the system engine. */
  engine: string;
  /** Copied into the second engine when missing there. */
  images: string[];
  reaperIntervalMs?: number;
  /** For the dev server's SQLite file (see FAST_SQLITE_PRAGMAS). */
  sqlitePragmas?: string[];
}

/**
 * Every process of a deployment, separately killable: a Temporal dev server of its own (its own port
 * and SQLite file, so killing it disturbs no other suite), an orchestration worker, two host workers
 * each on its own Docker engine (the system one and a second dockerd), and the API as
 * `node dist/api/server.js`, reached through the SDK as a client would.
 */
export class MultiHostCluster {
  readonly cluster: string;
  readonly dir: string;
  readonly systemDocker = new Docker();
  private keys!: ApiKeyStore;
  server!: DevServer;
  connection!: Connection;
  client!: Client;
  engine!: DockerEngine;
  orchestrator!: WorkerProcess;
  hosts: ClusterHost[] = [];
  api!: ApiProcess;

  private constructor(readonly options: MultiHostClusterOptions) {
    this.cluster = `${TEST_CLUSTER}-${options.name}`;
    this.dir = path.join(TEST_DIR, options.name);
  }

  static async start(options: MultiHostClusterOptions): Promise<MultiHostCluster> {
    const cluster = new MultiHostCluster(options);
    try {
      await cluster.boot();
    } catch (err) {
      // Whatever did start must not outlive the failed set-up.
      await cluster.stop().catch(() => undefined);
      throw err;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.keys = new ApiKeyStore(path.join(this.dir, 'keys.json'));
    const [server, engine] = await Promise.all([
      startDevServer({
        dbFile: path.join(this.dir, 'temporal.db'),
        logFile: path.join(this.dir, 'temporal.log'),
        sqlitePragmas: this.options.sqlitePragmas ?? [],
      }),
      DockerEngine.start(this.options.engine, this.options.images),
    ]);
    this.server = server;
    this.engine = engine;
    const setup = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(setup, 'default');
    await setup.close();
    this.connection = await connectWithRetry({ address: server.address });
    this.client = createClient(this.connection, 'default');
    // Containers of an earlier, interrupted run would count against this one.
    await Promise.all(this.engines().map((docker) => removeContainers(docker, [this.label])));

    const common = {
      address: server.address,
      cluster: this.cluster,
      logDir: this.dir,
      reaperIntervalMs: this.options.reaperIntervalMs ?? 1_000,
    };
    const [orchestrator, ...hosts] = await Promise.all([
      WorkerProcess.start('orchestration', common),
      WorkerProcess.start('host', { ...common, hostId: `${this.options.name}-a` }),
      WorkerProcess.start('host', { ...common, hostId: `${this.options.name}-b`, dockerHost: engine.dockerHost }),
    ]);
    this.orchestrator = orchestrator;
    this.hosts = [new ClusterHost(hosts[0]!, this.systemDocker), new ClusterHost(hosts[1]!, engine.docker, engine)];
    this.api = await ApiProcess.start({
      address: server.address,
      keysFile: this.keys.file,
      logDir: this.dir,
    });
  }

  /** The label filter of this run's containers. */
  get label(): string {
    return `${LABELS.cluster}=${this.cluster}`;
  }

  get address(): string {
    return this.server.address;
  }

  /** The host on the second engine: the one a test may take down whole. */
  get hostOnSecondEngine(): ClusterHost {
    return this.hosts[1]!;
  }

  /**
   * An SDK client of a tenant of its own, which makes its workflows countable. It retries a failed
   * submission with the same Idempotency-Key for about a minute: long enough to outlast an API or
   * Temporal restart.
   */
  async tenantClient(tenant: string): Promise<Airlock> {
    const { key } = this.keys.create(tenant, 'faults');
    const airlock = new Airlock({
      baseUrl: this.api.url,
      apiKey: key,
      maxRetries: 40,
      timeoutMs: 30_000,
      retryBackoff: { baseMs: 250, maxMs: 2_000 },
    });
    // The API re-reads its key file at most once a second.
    await eventually(`the API to know ${tenant}'s key`, () =>
      airlock.runtimes().then(
        () => true,
        () => false,
      ),
    );
    return airlock;
  }

  /** Every workflow the tenant has, by visibility. */
  async workflowsOf(tenant: string): Promise<WorkflowExecutionInfo[]> {
    const found: WorkflowExecutionInfo[] = [];
    for await (const info of this.client.workflow.list({ query: `${TENANT.name} = '${tenant}'`, pageSize: 1000 })) {
      found.push(info);
    }
    return found;
  }

  async restartOrchestrator(): Promise<void> {
    this.orchestrator = await this.orchestrator.restart();
  }

  async restartApi(): Promise<void> {
    this.api = await this.api.restart();
  }

  /** SIGKILL to the dev server; it comes back on the same port and SQLite file after `downMs`. */
  async crashTemporal(downMs: number): Promise<void> {
    await killDevServer(this.server, 'SIGKILL');
    await new Promise((r) => setTimeout(r, downMs));
    this.server = await restartDevServer(this.server);
  }

  engines(): Docker[] {
    return [this.systemDocker, this.engine.docker];
  }

  /** This run's containers on both engines. */
  async containers(): Promise<Docker.ContainerInfo[]> {
    return (await Promise.all(this.engines().map((docker) => containersWithLabels(docker, [this.label])))).flat();
  }

  /** Graceful: workers finish or hand back their work and remove their idle containers. */
  async stopWorkers(): Promise<void> {
    await Promise.all([this.api?.stop(), this.orchestrator?.stop(), ...this.hosts.map((h) => h.worker.stop())]);
  }

  async stop(): Promise<void> {
    await this.stopWorkers();
    await this.connection?.close().catch(() => undefined);
    if (this.server) await killDevServer(this.server, 'SIGTERM').catch(() => killDevServer(this.server, 'SIGKILL'));
    await this.engine?.stop();
  }
}

/** One Docker host: a host worker and the engine it drives. */
export class ClusterHost {
  constructor(
    public worker: WorkerProcess,
    readonly docker: Docker,
    /** Set when the host has an engine of its own, which a test may kill. */
    readonly engine?: DockerEngine,
  ) {}

  get id(): string {
    return this.worker.options.hostId!;
  }

  async restartWorker(): Promise<void> {
    this.worker = await this.worker.restart();
  }

  /** The machine dies: its worker and its engine, both by SIGKILL. */
  async crash(): Promise<void> {
    if (!this.engine) throw new Error(`host ${this.id} runs on the system engine, which other suites share`);
    await Promise.all([this.worker.kill(), this.engine.kill()]);
  }

  /** The machine is back: the engine, then the worker. */
  async recover(): Promise<void> {
    await this.engine?.restart();
    await this.restartWorker();
  }
}
