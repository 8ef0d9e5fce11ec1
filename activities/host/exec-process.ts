import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { ProcessResult } from '../../lib/schemas/execution-result';
import { signalFromExit } from '../../lib/signals';
import { SANDBOX_USER, WORKSPACE } from '../../lib/containers';
import { OutputCapture } from './output-capture';
import type { CgroupSample, ContainerCgroup } from './cgroup-metrics';
import { LiveOutput, type LiveOutputTarget } from './live-output';
import { cpuLimitReached } from './stage-limits';

export interface ExecProcessOptions {
  argv: string[];
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  timeoutMs: number;
  /**
   * The stage's CPU-time limit (RLIMIT_CPU, set by the argv). With the cgroup's CPU time it tells a
   * process the limit ended from one that merely exited 152 or 137; without it those codes are
   * taken at their word.
   */
  cpuTimeMs?: number;
  outputBytes: number;
  /** Aborting kills the whole container: an exec'd process cannot be signalled on its own. */
  signal?: AbortSignal;
  /** Where CPU time, peak memory and OOM kills are read; without it they are reported as unknown. */
  cgroup?: ContainerCgroup | null;
  /** How to stop the process at a limit; by default the container is killed. */
  terminate?: () => Promise<void>;
  /** Where output goes while the process runs. */
  live?: LiveOutputTarget;
}

/** A finished exec: the result, and stdout as the bytes it was (for archives read out of the sandbox). */
export interface ExecOutcome {
  result: ProcessResult;
  stdoutBytes: Buffer;
}

/**
 * Runs one process in a running sandbox and waits for it. The wall-clock limit is a host-side
 * timer and the output cap is enforced while streaming; either ends the process with SIGKILL from
 * outside, which nothing inside the sandbox can ignore or delay.
 */
export async function execProcess(container: Docker.Container, opts: ExecProcessOptions): Promise<ProcessResult> {
  return (await execCapture(container, opts)).result;
}

export async function execCapture(container: Docker.Container, opts: ExecProcessOptions): Promise<ExecOutcome> {
  const hasStdin = opts.stdin !== undefined && opts.stdin.length > 0;
  const exec = await container.exec({
    Cmd: opts.argv,
    AttachStdin: hasStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: SANDBOX_USER,
    WorkingDir: WORKSPACE,
    Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
  });

  let limitExceeded: ProcessResult['limitExceeded'] = null;
  let killing: Promise<void> | undefined;
  let lastSample: CgroupSample | undefined;
  // The cgroup goes with the container, so counters are read just before killing it.
  const terminate = opts.terminate ?? (() => container.kill({ signal: 'SIGKILL' }).then(() => undefined));
  const kill = (): Promise<void> => {
    lastSample ??= opts.cgroup?.sample();
    return (killing ??= terminate().catch(() => undefined)); // already dead
  };
  const live = opts.live ? new LiveOutput(opts.live) : undefined;
  const capture = new OutputCapture(
    opts.outputBytes,
    () => {
      limitExceeded ??= 'output';
      void kill();
    },
    live && ((stream, bytes) => live.write(stream, bytes)),
  );

  opts.cgroup?.resetPeak();
  const before = opts.cgroup?.sample();
  const stream = (await exec.start({ hijack: true, stdin: hasStdin })) as Duplex;
  const started = Date.now();
  const timer = setTimeout(() => {
    limitExceeded ??= 'wall';
    void kill();
  }, opts.timeoutMs);
  const onAbort = (): void => void kill();
  opts.signal?.addEventListener('abort', onAbort);

  try {
    const finished = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    container.modem.demuxStream(stream, capture.stdout, capture.stderr);
    if (hasStdin) stream.end(Buffer.from(opts.stdin!));
    await finished;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    await live?.stop();
  }
  const wallMs = Date.now() - started;
  const after = lastSample ?? opts.cgroup?.sample();
  if (killing) await killing;

  const exitCode = await waitForExitCode(exec);
  const oomKilled = delta(before?.oomKills, after?.oomKills) > 0;
  if (oomKilled && exitCode !== 0) limitExceeded ??= 'memory';
  const cpuNs = delta(before?.cpuNs, after?.cpuNs, null);
  const cpuMs = cpuNs === null ? null : Math.round(cpuNs / 1e6);
  const killedByHost = killing !== undefined;
  const reached = cpuLimitReached(cpuMs, opts.cpuTimeMs);
  const signal = signalFromExit(exitCode, { killedByHost, oomKilled, cpuLimitReached: reached });
  // RLIMIT_CPU ends a process with SIGXCPU, or SIGKILL when SIGXCPU is ignored or handled.
  if (reached && !killedByHost && (signal === 'SIGXCPU' || signal === 'SIGKILL')) limitExceeded ??= 'cpu';
  const result: ProcessResult = {
    exitCode,
    signal,
    stdout: capture.stdout.text(),
    stderr: capture.stderr.text(),
    stdoutBytes: capture.stdout.bytes,
    stderrBytes: capture.stderr.bytes,
    stdoutTruncated: capture.stdout.truncated,
    stderrTruncated: capture.stderr.truncated,
    wallMs,
    durationMs: wallMs,
    cpuMs,
    peakMemoryBytes: after?.peakBytes ?? null,
    oomKilled,
    limitExceeded,
    leftoverProcessesKilled: 0,
    outputFindings: [],
    outputBlocked: false,
  };
  return { result, stdoutBytes: capture.stdout.buffer() };
}

function delta<T extends number | null = number>(
  before: number | null | undefined,
  after: number | null | undefined,
  unknown: T = 0 as T,
): number | T {
  return before === null || before === undefined || after === null || after === undefined ? unknown : after - before;
}

/** The attach stream can close a moment before the engine records the exit code. */
async function waitForExitCode(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode ?? null;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}
