import Docker from 'dockerode';
import type { Client, Connection } from '@temporalio/client';
import { ExecutionService } from '../../api/execution-service';
import { normalizeRequest } from '../../lib/node/normalize-request';
import { loadRuntimes } from '../../lib/node/runtimes';
import { connectWithRetry, createClient } from '../../lib/node/temporal';
import { ExecutionRequest, type ExecutionInput } from '../../lib/schemas/execution-request';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import type { StageName, StageOutcome } from '../../lib/vocabulary';
import { eventually } from './docker';
import { readTestEnv } from './test-env';
import { WorkerProcess } from './worker-process';
import { closeSharedScanner } from '../../activities/scanner';

let hostCounter = 0;

/**
 * The real thing, small: the run's Temporal dev server, an orchestration worker and a host worker
 * in their own processes, and the same ExecutionService the API uses.
 */
export class TestCluster {
  readonly docker = new Docker();
  readonly runtimes = loadRuntimes();
  readonly executions: ExecutionService;
  readonly hostId: string;
  private constructor(
    readonly connection: Connection,
    readonly client: Client,
    readonly orchestrator: WorkerProcess,
    public host: WorkerProcess,
    hostId: string,
  ) {
    this.executions = new ExecutionService(client);
    this.hostId = hostId;
  }

  static async start(
    opts: { reaperIntervalMs?: number; policiesDir?: string; hostEnv?: NodeJS.ProcessEnv } = {},
  ): Promise<TestCluster> {
    const { server, namespace } = readTestEnv();
    const connection = await connectWithRetry({ address: server.address });
    const client = createClient(connection, namespace);
    const hostId = `test-host-${process.pid}-${++hostCounter}`;
    const [orchestrator, host] = await Promise.all([
      WorkerProcess.start('orchestration', { address: server.address, policiesDir: opts.policiesDir }),
      WorkerProcess.start('host', {
        address: server.address,
        hostId,
        reaperIntervalMs: opts.reaperIntervalMs,
        ...(opts.hostEnv ? { env: opts.hostEnv } : {}),
      }),
    ]);
    return new TestCluster(connection, client, orchestrator, host, hostId);
  }

  get address(): string {
    return readTestEnv().server.address;
  }

  async restartHost(opts: { reaperIntervalMs?: number } = {}): Promise<void> {
    await this.host.kill();
    this.host = await WorkerProcess.start('host', { address: this.address, hostId: this.hostId, ...opts });
  }

  /** Validates and normalises like the API does, then starts the workflow. */
  async submit(request: unknown, tenant = 'default', keyId = 'test-key'): Promise<ExecutionInput> {
    const body = ExecutionRequest.parse(request);
    const runtime = this.runtimes.get(body.language, body.version);
    if (!runtime) throw new Error(`no runtime ${body.language} ${body.version ?? ''}`);
    const input = normalizeRequest(body, {
      tenant,
      keyId,
      runtime: runtime.manifest,
    });
    await this.executions.submit(input);
    return input;
  }

  async result(executionId: string): Promise<ExecutionResult> {
    return (await this.client.workflow.getHandle(executionId).result()) as ExecutionResult;
  }

  /** Waits until the workflow reports `stage` with `outcome`, e.g. the run stage running in its container. */
  async waitForStage(executionId: string, stage: StageName, outcome: StageOutcome): Promise<void> {
    await eventually(`stage ${stage} to be ${outcome}`, async () => {
      const state = await this.executions.get(executionId, 'default');
      return state?.stages.find((s) => s.name === stage)?.outcome === outcome;
    });
  }

  async run(request: unknown): Promise<ExecutionResult> {
    const { executionId } = await this.submit(request);
    return this.result(executionId);
  }

  async stop(): Promise<void> {
    await Promise.all([this.orchestrator.stop(), this.host.stop()]);
    await this.connection.close();
    // Each test file has its own module registry, so its own scan pool: one thread each would add up.
    await closeSharedScanner();
  }
}
