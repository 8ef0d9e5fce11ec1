/**
 * The execution workflow with mocked activities, on the run's real dev server: the harness of
 * test/workflow, whose cases reach the paths real containers make hard to reach.
 */
import crypto from 'node:crypto';
import { AirlockMetrics } from '../../lib/node/metrics';
import { metricsSinks } from '../../workers/metrics-sinks';
import { Context } from '@temporalio/activity';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import type { ExecutionInput } from '../../lib/schemas/execution-request';
import type { ExecutionPlan } from '../../lib/schemas/policy';
import type { GateResult } from '../../lib/schemas/findings';
import type { ExecutionResult, ProcessResult, Seal } from '../../lib/schemas/execution-result';
import type { ProvisionedSandbox, ProvisionInput } from '../../activities/host';
import { containerNameFor } from '../../lib/containers';
import { HOSTS_QUEUE } from '../../lib/task-queues';
import { FAILURE_CONVERTER_PATH, connectWithRetry, createClient, workerDataConverter } from '../../lib/node/temporal';
import { readTestEnv } from './test-env';

let bundle: WorkflowBundleWithSourceMap;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;

/** Bundles the workflows and connects to the run's dev server, for the tests of one file. */
export function useWorkflowServer(): void {
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      failureConverterPath: FAILURE_CONVERTER_PATH,
    });
    const { server } = readTestEnv();
    connection = await connectWithRetry({ address: server.address });
    nativeConnection = await NativeConnection.connect({ address: server.address });
    client = createClient(connection, 'default');
  });

  afterAll(async () => {
    await nativeConnection?.close();
    await connection?.close();
  });
}

export const plan: ExecutionPlan = {
  decision: 'pass',
  reasons: [],
  policy: { name: 'default', sha256: 'f'.repeat(64) },
  limits: {
    timeoutMs: 60_000,
    cpuTimeMs: 60_000,
    memoryMb: 64,
    cpus: 1,
    pids: 16,
    openFiles: 64,
    fileSizeMb: 1,
    outputBytes: 1024,
    testTimeoutMs: 1000,
  },
  runtime: { name: 'python', version: '3.13', image: 'airlock/python:3.13' },
  sandbox: { runtime: 'runc', seccompProfile: { name: 'strict', sha256: 'e'.repeat(64) } },
  // The gate activities are mocked too; static analysis is off so no scanner is needed.
  gates: {
    secrets: { enabled: true, blockAt: 'high', warnAt: 'low' },
    staticAnalysis: { enabled: false, blockAt: 'high', warnAt: 'medium' },
    imports: { enabled: true, deny: [], severity: 'high', blockAt: 'high', warnAt: 'low' },
    output: { secrets: 'redact', patterns: [] },
  },
  approval: { required: 'never', timeoutMs: 1_000 },
  retention: { resultsDays: 1, artifactsDays: 1 },
  compile: null,
  runCommand: ['python3', 'main.py'],
  test: null,
  env: {},
  budgetMs: 60_000,
};

export function passingGate(gate: GateResult['gate']): GateResult {
  return { gate, verdict: 'pass', findings: [], tools: [], error: null, note: null };
}

export const okRun: ProcessResult = {
  exitCode: 0,
  signal: null,
  stdout: 'ok\n',
  stderr: '',
  stdoutBytes: 3,
  stderrBytes: 0,
  stdoutTruncated: false,
  stderrTruncated: false,
  wallMs: 5,
  durationMs: 5,
  cpuMs: 3,
  peakMemoryBytes: 1 << 20,
  oomKilled: false,
  limitExceeded: null,
  leftoverProcessesKilled: 0,
  outputFindings: [],
  outputBlocked: false,
};

const mockSeal = (executionId: string): Seal => ({
  version: 1,
  executionId,
  fields: [['result', '0'.repeat(64)]],
  keyId: '0'.repeat(16),
  sealedAt: new Date(0).toISOString(),
  algorithm: 'ed25519',
  digest: '0'.repeat(64),
  signature: 'AA==',
});

export interface Mocks {
  evaluatePolicyGate?: () => Promise<ExecutionPlan>;
  /** Given the sandbox the default mock answers with, on the test's host queue. */
  provisionContainer?: (input: ProvisionInput, sandbox: ProvisionedSandbox) => Promise<ProvisionedSandbox>;
  execInContainer?: () => Promise<ProcessResult>;
  teardownContainer?: (input: { executionId: string }) => Promise<{ removed: boolean }>;
  /** Runs once the workflow has started, while it runs: to cancel it, say. */
  whileRunning?: (handle: WorkflowHandle) => Promise<void>;
}

/** Runs one execution against workers whose activities are the given mocks; returns the result and the teardown calls. */
export async function runWithMocks(mocks: Mocks): Promise<{ result: ExecutionResult; teardowns: string[] }> {
  const suffix = crypto.randomUUID();
  const orchestrationQueue = `wf-test-${suffix}`;
  const hostQueue = `wf-test-host-${suffix}`;
  const teardowns: string[] = [];
  const sandbox: ProvisionedSandbox = {
    hostId: 'mock-host',
    taskQueue: hostQueue,
    containerId: 'c1',
    image: { tag: 't', id: 'i', definitionSha256: 'd', runtimeVersion: 'v' },
  };
  const provision = mocks.provisionContainer;
  const common = {
    connection: nativeConnection,
    maxHeartbeatThrottleInterval: '100 milliseconds',
    dataConverter: workerDataConverter(),
  } as const;
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: orchestrationQueue,
      workflowBundle: bundle,
      sinks: metricsSinks(new AirlockMetrics('test')),
      activities: {
        evaluatePolicyGate: mocks.evaluatePolicyGate ?? (async () => plan),
        scanArtifacts: async () => ({ files: [], outputs: [] }),
        checkSecrets: async () => passingGate('secrets'),
        checkImports: async () => passingGate('imports'),
        // The real seal reads the history and signs (test/integration/audit-seal.test.ts); here it is recorded only.
        sealExecution: async ({ executionId }: { executionId: string }) => mockSeal(executionId),
      },
    }),
    Worker.create({
      ...common,
      taskQueue: HOSTS_QUEUE,
      activities: {
        provisionContainer: provision
          ? (input: ProvisionInput) => provision(input, sandbox)
          : async (): Promise<ProvisionedSandbox> => sandbox,
      },
    }),
    Worker.create({
      ...common,
      taskQueue: hostQueue,
      activities: {
        execInContainer: mocks.execInContainer ?? (async () => okRun),
        collectArtifacts: async () => ({ artifacts: [], truncated: false, findings: [], blocked: false }),
        teardownContainer: async (input: { executionId: string }) => {
          teardowns.push(input.executionId);
          return mocks.teardownContainer ? mocks.teardownContainer(input) : { removed: true };
        },
      },
    }),
  ]);
  const executionId = `ex_${suffix.replaceAll('-', '')}`;
  const input: ExecutionInput = {
    executionId,
    tenant: 'default',
    keyId: 'k1',
    language: 'python',
    policy: 'default',
    files: [{ path: 'main.py', content: 'print(1)', encoding: 'utf8' }],
    entrypoint: 'main.py',
    args: [],
    env: {},
    limits: {},
    normalizeTrailingWhitespace: true,
    submittedAt: new Date().toISOString(),
  };
  const runs = workers.map((w) => w.run());
  try {
    const handle = await client.workflow.start('executionWorkflow', {
      taskQueue: orchestrationQueue,
      workflowId: executionId,
      args: [input],
    });
    await mocks.whileRunning?.(handle);
    const result = (await handle.result()) as ExecutionResult;
    return { result, teardowns };
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(runs);
  }
}

/** An exec that runs until it is cancelled, as a real one does while its program runs. */
export async function runsUntilCancelled(): Promise<ProcessResult> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 50);
  try {
    await ctx.cancelled;
    throw new Error('unreachable');
  } finally {
    clearInterval(beat);
  }
}

/** Containers by name, as the engine keeps them: a second one under a name in use is refused. */
export class FakeEngine {
  readonly names = new Set<string>();
  /** Every container made, by name, in order. */
  readonly made: string[] = [];

  create(name: string): void {
    if (this.names.has(name)) throw new Error(`Conflict. The container name "/${name}" is already in use`);
    this.names.add(name);
    this.made.push(name);
  }

  remove(name: string): boolean {
    return this.names.delete(name);
  }

  /**
   * What provisioning does with names: the execution's container under its deterministic name, and
   * on a retry, whatever an earlier attempt left under it removed first.
   */
  provision(input: ProvisionInput): string {
    const name = containerNameFor(input.executionId);
    if (Context.current().info.attempt > 1) this.remove(name);
    this.create(name);
    return name;
  }

  /** Teardown knows the execution id alone, and finds the container by its name. */
  readonly teardown = async ({ executionId }: { executionId: string }) => ({
    removed: this.remove(containerNameFor(executionId)),
  });
}

export const stageOutcomes = (result: ExecutionResult) =>
  Object.fromEntries(result.stages.map((s) => [s.name, s.outcome]));
