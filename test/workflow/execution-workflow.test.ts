/**
 * The workflow's own logic with mocked activities, on the run's real dev server: the paths that are
 * hard to reach with real containers (deadline, lost provision results, cancellation while
 * provisioning, failing teardown).
 */
import crypto from 'node:crypto';
import { AirlockMetrics } from '../../lib/metrics';
import { metricsSinks } from '../../lib/metrics-sinks';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
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
import { connectWithRetry, createClient } from '../../lib/temporal';
import { readTestEnv } from '../support/test-env';
import { executionResultUpdate } from '../../workflows/messages';

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

interface Mocks {
  evaluatePolicyGate?: () => Promise<ExecutionPlan>;
  /** Given the sandbox the default mock answers with, on the test's host queue. */
  provisionContainer?: (input: ProvisionInput, sandbox: ProvisionedSandbox) => Promise<ProvisionedSandbox>;
  execInContainer?: () => Promise<ProcessResult>;
  teardownContainer?: (input: { executionId: string }) => Promise<{ removed: boolean }>;
  /** Runs once the workflow has started, while it runs: to cancel it, say. */
  whileRunning?: (handle: WorkflowHandle) => Promise<void>;
}

/** Runs one execution against workers whose activities are the given mocks; returns the result and the teardown calls. */
async function runWithMocks(mocks: Mocks): Promise<{ result: ExecutionResult; teardowns: string[] }> {
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

/** Containers by name, as the engine keeps them: a second one under a name in use is refused. */
class FakeEngine {
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

  test('a provision whose first result is lost to an error after it made the container: one teardown, by name', async () => {
    const engine = new FakeEngine();
    const attempts: number[] = [];
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async (input, sandbox) => {
        attempts.push(Context.current().info.attempt);
        engine.provision(input);
        // The container exists, but the answer never reaches the workflow.
        if (attempts.length === 1) throw new Error('socket hang up');
        return sandbox;
      },
      teardownContainer: engine.teardown,
    });
    expect(result.status).toBe('succeeded');
    expect(attempts).toEqual([1, 2]);
    expect(engine.made).toEqual([containerNameFor(result.id), containerNameFor(result.id)]);
    expect(teardowns).toEqual([result.id]);
    expect(result.stages.find((s) => s.name === 'teardown')).toMatchObject({
      outcome: 'succeeded',
      detail: 'container removed',
    });
    expect([...engine.names]).toEqual([]);
  });

  test('a provision whose first result arrives after its heartbeat timed out: the retry is used, one teardown', async () => {
    const engine = new FakeEngine();
    const attempts: number[] = [];
    let retrying!: () => void;
    const retried = new Promise<void>((resolve) => (retrying = resolve));
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async (input, sandbox) => {
        const { attempt } = Context.current().info;
        attempts.push(attempt);
        engine.provision(input);
        if (attempt === 1) {
          // Silent past the heartbeat timeout, so the server gives this attempt up; what it
          // returns once the retry has begun reaches nobody.
          await retried;
          return { ...sandbox, hostId: 'lost-attempt', containerId: 'lost' };
        }
        retrying();
        return sandbox;
      },
      teardownContainer: engine.teardown,
    });
    expect(result).toMatchObject({ status: 'succeeded', host: 'mock-host' });
    expect(attempts).toEqual([1, 2]);
    expect(teardowns).toEqual([result.id]);
    expect([...engine.names]).toEqual([]);
  });

  test('cancelled while provisioning: the provision sees it and removes its container; no teardown', async () => {
    const engine = new FakeEngine();
    let provisioning!: () => void;
    const started = new Promise<void>((resolve) => (provisioning = resolve));
    let seen: unknown;
    const { result, teardowns } = await runWithMocks({
      provisionContainer: async (input) => {
        const ctx = Context.current();
        const name = engine.provision(input);
        const beat = setInterval(() => ctx.heartbeat(), 50);
        provisioning();
        try {
          return await ctx.cancelled.catch((err: unknown) => {
            seen = err;
            // As the real activity does: the workflow will never learn of this container.
            engine.remove(name);
            throw err;
          });
        } finally {
          clearInterval(beat);
        }
      },
      whileRunning: async (handle) => {
        await started;
        await handle.cancel();
      },
    });
    expect(seen).toBeInstanceOf(CancelledFailure);
    expect(result).toMatchObject({ status: 'cancelled', host: null, error: null });
    expect(stageOutcomes(result)).toMatchObject({ provision: 'cancelled', run: 'skipped', teardown: 'skipped' });
    expect(result.stages.find((s) => s.name === 'teardown')?.detail).toBe(
      'no host confirmed a container; host reapers remove any',
    );
    expect(teardowns).toEqual([]);
    expect(engine.made).toEqual([containerNameFor(result.id)]);
    expect([...engine.names]).toEqual([]);
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

describe('the result before teardown', () => {
  test('the result update answers once the outcome is decided, while teardown still runs', async () => {
    let releaseTeardown!: () => void;
    const teardownHeld = new Promise<void>((resolve) => (releaseTeardown = resolve));
    let teardownStarted!: () => void;
    const inTeardown = new Promise<void>((resolve) => (teardownStarted = resolve));
    let answered: ExecutionResult | undefined;
    const { result } = await runWithMocks({
      teardownContainer: async () => {
        teardownStarted();
        await teardownHeld;
        return { removed: true };
      },
      whileRunning: async (handle) => {
        answered = await handle.executeUpdate(executionResultUpdate, { args: [{}] });
        // The answer came while teardown was held: it cannot have waited for it.
        await inTeardown;
        expect((await handle.describe()).status.name).toBe('RUNNING');
        releaseTeardown();
      },
    });
    expect(answered).toMatchObject({ status: 'succeeded', run: { stdout: okRun.stdout } });
    expect(answered!.finishedAt).toEqual(expect.any(String));
    expect(answered!.seal).toBeUndefined();
    expect(answered!.stages.find((s) => s.name === 'teardown')?.outcome).toBe('pending');
    // The completed workflow's result records teardown, and is sealed; the outcome is the same.
    expect(stageOutcomes(result)).toMatchObject({ run: 'succeeded', teardown: 'succeeded' });
    expect(result.seal).toBeDefined();
    expect(result).toMatchObject({ status: answered!.status, run: answered!.run, finishedAt: answered!.finishedAt });
  });
});
