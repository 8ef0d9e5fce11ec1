/**
 * The workflow's own logic with mocked activities, on the run's real dev server: the paths that are
 * hard to reach with real containers (deadline, lost results, failing teardown).
 */
import crypto from 'node:crypto';
import { AirlockMetrics } from '../../lib/metrics';
import { metricsSinks } from '../../lib/metrics-sinks';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import type { ExecutionInput } from '../../lib/schemas/execution-request';
import type { ExecutionPlan } from '../../lib/schemas/policy';
import type { GateResult } from '../../lib/schemas/findings';
import type { ExecutionResult, ProcessResult } from '../../lib/schemas/execution-result';
import type { ProvisionedSandbox, ProvisionInput } from '../../activities/host';
import { HOSTS_QUEUE } from '../../lib/task-queues';
import { connectWithRetry, createClient } from '../../lib/temporal';
import { readTestEnv } from '../support/test-env';

let bundle: WorkflowBundleWithSourceMap;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
  const { server } = readTestEnv();
  connection = await connectWithRetry(server.address);
  nativeConnection = await NativeConnection.connect({ address: server.address });
  client = createClient(connection, 'default');
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

const plan: ExecutionPlan = {
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
  runtime: { name: 'python', image: 'airlock/python:latest' },
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

function passingGate(gate: GateResult['gate']): GateResult {
  return { gate, verdict: 'pass', findings: [], tools: [], error: null, note: null };
}

const okRun: ProcessResult = {
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

interface Mocks {
  evaluatePolicyGate?: () => Promise<ExecutionPlan>;
  provisionContainer?: (input: ProvisionInput) => Promise<ProvisionedSandbox>;
  execInContainer?: () => Promise<ProcessResult>;
  teardownContainer?: (input: { executionId: string }) => Promise<{ removed: boolean }>;
}

/** Runs one execution against workers whose activities are the given mocks; returns the result and the teardown calls. */
async function runWithMocks(mocks: Mocks): Promise<{ result: ExecutionResult; teardowns: string[] }> {
  const suffix = crypto.randomUUID();
  const orchestrationQueue = `wf-test-${suffix}`;
  const hostQueue = `wf-test-host-${suffix}`;
  const teardowns: string[] = [];
  const common = { connection: nativeConnection, maxHeartbeatThrottleInterval: '100 milliseconds' } as const;
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
      },
    }),
    Worker.create({
      ...common,
      taskQueue: HOSTS_QUEUE,
      activities: {
        provisionContainer:
          mocks.provisionContainer ??
          (async (): Promise<ProvisionedSandbox> => ({
            hostId: 'mock-host',
            taskQueue: hostQueue,
            containerId: 'c1',
            image: { tag: 't', id: 'i', definitionSha256: 'd', runtimeVersion: 'v' },
          })),
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
    const result = (await client.workflow.execute('executionWorkflow', {
      taskQueue: orchestrationQueue,
      workflowId: executionId,
      args: [input],
    })) as ExecutionResult;
    return { result, teardowns };
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(runs);
  }
}

/** An exec that runs until it is cancelled, as a real one does while its program runs. */
async function runsUntilCancelled(): Promise<ProcessResult> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 50);
  try {
    await ctx.cancelled;
    throw new Error('unreachable');
  } finally {
    clearInterval(beat);
  }
}

const stageOutcomes = (result: ExecutionResult) => Object.fromEntries(result.stages.map((s) => [s.name, s.outcome]));

describe('execution workflow (mocked activities)', () => {
  test('the happy path tears down exactly once', async () => {
    const { result, teardowns } = await runWithMocks({});
    expect(result.status).toBe('succeeded');
    expect(result.host).toBe('mock-host');
    expect(teardowns).toEqual([result.id]);
  });

  test("the execution's own deadline cancels the running stage, and teardown still runs", async () => {
    const { result, teardowns } = await runWithMocks({
      evaluatePolicyGate: async () => ({ ...plan, budgetMs: 1_500 }),
      execInContainer: runsUntilCancelled,
    });
    expect(result).toMatchObject({
      status: 'time_limit_exceeded',
      timeLimit: 'deadline',
      error: { type: 'DeadlineExceeded' },
    });
    expect(stageOutcomes(result)).toMatchObject({ run: 'cancelled', scan: 'skipped', teardown: 'succeeded' });
    expect(teardowns).toEqual([result.id]);
  });

  test('a provision that never succeeds leaves teardown to the host reapers', async () => {
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async () => {
        throw ApplicationFailure.nonRetryable('image airlock/python:latest is not built on this host', 'ImageMissing');
      },
    });
    expect(result).toMatchObject({ status: 'internal_error', error: { type: 'ImageMissing' } });
    expect(stageOutcomes(result)).toMatchObject({ provision: 'failed', run: 'skipped', teardown: 'skipped' });
    expect(result.stages.find((s) => s.name === 'teardown')?.detail).toMatch(/reapers/);
    expect(teardowns).toEqual([]);
  });

  test('a run stage whose container vanished is an internal error, and teardown still runs', async () => {
    const { result, teardowns } = await runWithMocks({
      execInContainer: async () => {
        throw ApplicationFailure.nonRetryable('sandbox airlock-x is gone', 'ContainerGone');
      },
    });
    expect(result).toMatchObject({ status: 'internal_error', error: { type: 'ContainerGone' } });
    expect(teardowns).toEqual([result.id]);
  });

  test('a failing teardown is retried, then recorded as deferred to the reaper', async () => {
    const { result, teardowns } = await runWithMocks({
      teardownContainer: async () => {
        throw new Error('engine busy');
      },
    });
    expect(result.status).toBe('succeeded');
    expect(teardowns).toHaveLength(3);
    expect(result.stages.find((s) => s.name === 'teardown')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/^deferred to the reaper on mock-host/),
    });
  });

  test('a gate that cannot find the policy fails the execution before anything is provisioned', async () => {
    const { result, teardowns } = await runWithMocks({
      evaluatePolicyGate: async () => {
        throw ApplicationFailure.nonRetryable('policy "x" is not loaded', 'UnknownPolicy');
      },
    });
    expect(result).toMatchObject({ status: 'internal_error', error: { type: 'UnknownPolicy' } });
    expect(stageOutcomes(result)).toMatchObject({ gate: 'failed', provision: 'skipped', teardown: 'skipped' });
    expect(teardowns).toEqual([]);
  });
});
