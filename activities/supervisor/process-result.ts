import type { ProcessResult } from '../../lib/schemas/execution-result';
import { signalFromExit } from './signals';
import type { OutputCapture } from './output-capture';
import type { CgroupSample } from './cgroup-metrics';
import type { LiveOutputTarget } from './live-output';
import { cpuLimitReached } from './stage-limits';

/** One process in a sandbox, as a stage asks for it. */
export interface ProcessOptions {
  argv: string[];
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  timeoutMs: number;
  /**
   * The stage's CPU-time limit (RLIMIT_CPU, set by the supervisor's launcher). With the cgroup's CPU time it tells a
   * process the limit ended from one that merely exited 152 or 137; without it those codes are
   * taken at their word.
   */
  cpuTimeMs?: number;
  outputBytes: number;
  /** Aborting stops the process (and whatever it started). */
  signal?: AbortSignal;
  /** How the host stops the process should the supervisor not; by default the container is killed. */
  terminate?: () => Promise<void>;
  /** Where output goes while the process runs. */
  live?: LiveOutputTarget;
}

/** A finished process: the result, and stdout as the bytes it was (for files read out of the sandbox). */
export interface ProcessOutcome {
  result: ProcessResult;
  stdoutBytes: Buffer;
}

/** What a finished process comes to: its exit read against the limits and what the cgroup measured. */
export function processResult(ended: {
  exitCode: number | null;
  wallMs: number;
  before: CgroupSample | undefined;
  after: CgroupSample | undefined;
  killedByHost: boolean;
  limitExceeded: ProcessResult['limitExceeded'];
  cpuTimeMs: number | undefined;
  capture: OutputCapture;
  /** Every byte the process wrote, where more was written than reached the host. */
  written?: { stdout: number; stderr: number };
  leftoverProcessesKilled?: number;
}): ProcessResult {
  const { exitCode, before, after, killedByHost, capture } = ended;
  let { limitExceeded } = ended;
  const oomKilled = delta(before?.oomKills, after?.oomKills) > 0;
  // A run that exits 0 after a child's kill is judged by its exit, as before.
  const hostOutOfMemory = oomKilled && exitCode !== 0 && farBelowLimit(after);
  if (oomKilled && exitCode !== 0 && !hostOutOfMemory) limitExceeded ??= 'memory';
  const cpuNs = delta(before?.cpuNs, after?.cpuNs, null);
  const cpuMs = cpuNs === null ? null : Math.round(cpuNs / 1e6);
  const reached = cpuLimitReached(cpuMs, ended.cpuTimeMs);
  const signal = signalFromExit(exitCode, { killedByHost, oomKilled, cpuLimitReached: reached });
  // RLIMIT_CPU ends a process with SIGXCPU, or SIGKILL when SIGXCPU is ignored or handled.
  if (reached && !killedByHost && (signal === 'SIGXCPU' || signal === 'SIGKILL')) limitExceeded ??= 'cpu';
  const stdoutBytes = Math.max(capture.stdout.bytes, ended.written?.stdout ?? 0);
  const stderrBytes = Math.max(capture.stderr.bytes, ended.written?.stderr ?? 0);
  return {
    exitCode,
    signal,
    stdout: capture.stdout.text(),
    stderr: capture.stderr.text(),
    stdoutBytes,
    stderrBytes,
    stdoutTruncated: capture.stdout.truncated || stdoutBytes > capture.stdout.keptBytes,
    stderrTruncated: capture.stderr.truncated || stderrBytes > capture.stderr.keptBytes,
    wallMs: ended.wallMs,
    durationMs: ended.wallMs,
    cpuMs,
    peakMemoryBytes: after?.peakBytes ?? null,
    oomKilled,
    ...(hostOutOfMemory ? { hostOutOfMemory } : {}),
    limitExceeded,
    leftoverProcessesKilled: ended.leftoverProcessesKilled ?? 0,
    outputFindings: [],
    outputBlocked: false,
  };
}

function delta<T extends number | null = number>(
  before: number | null | undefined,
  after: number | null | undefined,
  unknown: T = 0 as T,
): number | T {
  return before === null || before === undefined || after === null || after === undefined ? unknown : after - before;
}

/** A peak under this share of the limit was not the limit's doing (at the limit, the peak is the limit, to the page). */
const HOST_OOM_PEAK_SHARE = 0.9;

/** Killed for memory though its peak stayed well under its own limit: the host ran out, not the sandbox. */
function farBelowLimit(sample: CgroupSample | undefined): boolean {
  const { peakBytes, limitBytes } = sample ?? {};
  return (
    typeof peakBytes === 'number' && typeof limitBytes === 'number' && peakBytes < limitBytes * HOST_OOM_PEAK_SHARE
  );
}
