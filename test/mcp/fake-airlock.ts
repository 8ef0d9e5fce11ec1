/** A fake Airlock client for the MCP tools' unit tests: canned results, calls recorded by jest mocks. */
import type { AirlockLike, SandboxLike, WrittenFile } from '../../mcp/airlock-like';
import type { ExecutionResult, ProcessResult } from '../../lib/schemas/execution-result';
import type { FileEntry, SandboxInfo, StepResult } from '../../lib/schemas/sandbox';
import type { RuntimeSummary } from '../../lib/schemas/runtime';

/** Shaped as the SDK's AirlockError. */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues?: Array<{ field: string; message: string }>,
  ) {
    super(message);
    this.name = 'AirlockError';
  }
}

export function processResult(overrides: Partial<ProcessResult> = {}): ProcessResult {
  const stdout = overrides.stdout ?? '';
  const stderr = overrides.stderr ?? '';
  return {
    exitCode: 0,
    signal: null,
    stdout,
    stderr,
    stdoutBytes: Buffer.byteLength(stdout),
    stderrBytes: Buffer.byteLength(stderr),
    stdoutTruncated: false,
    stderrTruncated: false,
    wallMs: 50,
    durationMs: 50,
    cpuMs: 21,
    peakMemoryBytes: 3_510_272,
    oomKilled: false,
    limitExceeded: null,
    leftoverProcessesKilled: 0,
    outputFindings: [],
    outputBlocked: false,
    ...overrides,
  };
}

export function executionResult(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    id: 'ex_0123456789',
    status: 'succeeded',
    language: 'python',
    tenant: 'default',
    policy: { name: 'default', sha256: 'ab'.repeat(32) },
    host: 'host-1',
    image: { tag: 'airlock/python:3.13', id: 'sha256:1', definitionSha256: 'cd', runtimeVersion: '3.13.5' },
    createdAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    stages: [],
    gates: [],
    approval: null,
    compile: null,
    run: processResult({ stdout: '42\n' }),
    cases: null,
    tests: null,
    testReport: null,
    scan: null,
    timeLimit: null,
    error: null,
    ...overrides,
  };
}

export function sandboxInfo(overrides: Partial<SandboxInfo> = {}): SandboxInfo {
  return {
    id: 'sbx_abc',
    tenant: 'default',
    language: 'python',
    policy: 'default',
    status: 'ready',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastActivityAt: '2026-01-01T00:00:00.450Z',
    idleTimeoutSeconds: 300,
    maxLifetimeSeconds: 3600,
    idleExpiresAt: '2026-01-01T00:05:00.450Z',
    expiresAt: '2026-01-01T01:00:00.000Z',
    host: 'host-1',
    image: null,
    steps: 0,
    recentSteps: [],
    end: null,
    ...overrides,
  };
}

export function stepResult(overrides: Partial<StepResult> = {}): StepResult {
  return {
    stepId: 'stp_1',
    sandboxId: 'sbx_abc',
    index: 1,
    kind: 'exec',
    status: 'succeeded',
    startedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 80,
    process: processResult({ stdout: 'ok\n' }),
    gates: [],
    file: null,
    entries: null,
    error: null,
    ...overrides,
  };
}

export const RUNTIMES: RuntimeSummary[] = [
  {
    name: 'python',
    displayName: 'Python',
    version: '3.13',
    versions: [
      { version: '3.13', default: true, image: 'airlock/python:3.13', debian: 'trixie', libraries: { numpy: '2.2' } },
      {
        version: '3.11',
        default: false,
        image: 'airlock/python:3.11',
        debian: 'bookworm',
        libraries: { numpy: '1.24' },
      },
    ],
    extensions: ['.py'],
    compiled: false,
    testFramework: 'junit',
  },
];

export interface FakeSandbox extends SandboxLike {
  run: jest.Mock<Promise<StepResult>, [string, unknown?]>;
  exec: jest.Mock<Promise<StepResult>, [string | string[], unknown?]>;
  close: jest.Mock<Promise<SandboxInfo>, [unknown?]>;
  files: {
    write: jest.Mock<Promise<WrittenFile>, [string, string | Uint8Array, unknown?]>;
    read: jest.Mock<Promise<Uint8Array>, [string, unknown?]>;
    list: jest.Mock<Promise<FileEntry[]>, [string?, unknown?]>;
  };
  /** The workspace: what files.write stored, files.read answers. */
  workspace: Map<string, Uint8Array>;
}

export function fakeSandbox(info: SandboxInfo = sandboxInfo()): FakeSandbox {
  const workspace = new Map<string, Uint8Array>();
  const missing = (path: string) => new FakeApiError(404, 'file_not_found', `no such file: ${path}`, 'query.path');
  return {
    id: info.id,
    info,
    workspace,
    run: jest.fn(async (_code: string, _opts?: unknown) => stepResult({ sandboxId: info.id })),
    exec: jest.fn(async (_command: string | string[], _opts?: unknown) => stepResult({ sandboxId: info.id })),
    close: jest.fn(async () =>
      sandboxInfo({
        ...info,
        status: 'closed',
        idleExpiresAt: null,
        end: { reason: 'closed', message: 'closed by its owner', at: '2026-01-01T00:10:00.000Z' },
      }),
    ),
    files: {
      write: jest.fn(async (path: string, data: string | Uint8Array) => {
        const bytes = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'utf8')) : data;
        workspace.set(path, bytes);
        return { path, bytes: bytes.byteLength, sha256: 'f'.repeat(64) };
      }),
      read: jest.fn(async (path: string) => {
        const bytes = workspace.get(path);
        if (!bytes) throw missing(path);
        return bytes;
      }),
      list: jest.fn(async () =>
        [...workspace.entries()].map(([name, bytes]) => ({
          name,
          type: 'file' as const,
          bytes: bytes.byteLength,
          modifiedAt: '2026-01-01T00:00:02.000Z',
        })),
      ),
    },
  };
}

export interface FakeAirlock extends AirlockLike {
  executions: { run: jest.Mock<Promise<ExecutionResult>, [unknown, unknown?]> };
  sandboxes: {
    create: jest.Mock<Promise<SandboxLike>, [unknown, unknown?]>;
    get: jest.Mock<Promise<SandboxLike>, [string, unknown?]>;
  };
  runtimes: { list: jest.Mock<Promise<RuntimeSummary[]>, [unknown?]> };
  /** Every sandbox the fake knows, by id. */
  known: Map<string, FakeSandbox>;
}

export function fakeAirlock(): FakeAirlock {
  const known = new Map<string, FakeSandbox>();
  let next = 0;
  return {
    known,
    executions: { run: jest.fn(async (_request: unknown, _opts?: unknown) => executionResult()) },
    sandboxes: {
      create: jest.fn(async (request: unknown) => {
        const { language } = request as { language: string };
        const sbx = fakeSandbox(sandboxInfo({ id: `sbx_${++next}`, language }));
        known.set(sbx.id, sbx);
        return sbx;
      }),
      get: jest.fn(async (id: string) => {
        const sbx = known.get(id);
        if (!sbx) throw new FakeApiError(404, 'not_found', `no sandbox ${id}`);
        return sbx;
      }),
    },
    runtimes: { list: jest.fn(async () => RUNTIMES) },
  };
}
