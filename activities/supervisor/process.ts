import { ApplicationFailure } from '@temporalio/activity';
import type { ProcessResult } from '../../lib/schemas/execution-result';
import { ErrorType } from '../../lib/errors';
import type { CgroupSample } from './cgroup-metrics';
import { processResult, type ProcessOptions, type ProcessOutcome } from './process-result';
import { LiveOutput } from './live-output';
import { OutputCapture } from './output-capture';
import { stageCpuRlimit } from './stage-limits';
import { ChannelClosed, type RunAnswer } from './channel';
import type { SupervisedSandbox } from './sandboxes';

type LostAnswer = RunAnswer & { oomKilled?: boolean };

/** How long past its wall limit the host waits for the supervisor before it acts itself. */
const BACKSTOP_MS = 2_000;

export type SupervisedProcessOptions = ProcessOptions & { files?: Buffer; key?: string };

/** The launcher failed before the program started: the program never ran. */
export class LaunchFailed extends Error {}

/**
 * Runs one process through the sandbox's supervisor: one message, no engine round trip. The
 * supervisor enforces the wall limit and the output cap and sweeps what the program leaves; the
 * host keeps its own timer and cap as a backstop, and reads CPU time, peak memory and OOM kills
 * from the cgroup itself, since nothing the sandbox reports about its own use is trusted.
 */
export async function superviseCapture(
  sandbox: SupervisedSandbox,
  opts: SupervisedProcessOptions,
): Promise<ProcessOutcome> {
  const { channel, cgroup } = sandbox;
  const stop = new AbortController();
  let limitExceeded: ProcessResult['limitExceeded'] = null;
  let hostKilled: Promise<void> | undefined;
  let lastSample: CgroupSample | undefined;
  const live = opts.live ? new LiveOutput(opts.live) : undefined;
  const capture = new OutputCapture(
    opts.outputBytes,
    () => {
      limitExceeded ??= 'output';
      stop.abort();
    },
    live && ((stream, bytes) => live.write(stream, bytes)),
  );
  // The supervisor did not stop the program in time: the host stops it (a frozen sweep, or the container).
  const backstop = setTimeout(() => {
    limitExceeded ??= 'wall';
    lastSample ??= cgroup?.sample();
    stop.abort();
    hostKilled ??= (opts.terminate ?? (() => sandbox.container.kill({ signal: 'SIGKILL' })))()
      .then(() => undefined)
      .catch(() => undefined);
  }, opts.timeoutMs + BACKSTOP_MS);
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const cpuRlimit = stageCpuRlimit(opts.cpuTimeMs, sandbox.cpuSeconds);

  cgroup?.resetPeak();
  const before = cgroup?.sample();
  const started = Date.now();
  try {
    const answer = await channel
      .run(
        {
          argv: opts.argv,
          ...(opts.env ? { env: opts.env } : {}),
          ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
          ...(opts.files ? { files: opts.files } : {}),
          ...(opts.key ? { key: opts.key } : {}),
          ...(cpuRlimit ? { cpuRlimit } : {}),
          timeoutMs: opts.timeoutMs,
          outputBytes: opts.outputBytes,
        },
        { onStdout: (b) => capture.stdout.write(b), onStderr: (b) => capture.stderr.write(b) },
        stop.signal,
      )
      .then((a): LostAnswer => a)
      .catch((err: unknown) => (err instanceof ChannelClosed ? lostContainer(sandbox) : Promise.reject(err)));
    if (answer.evicted) {
      throw ApplicationFailure.nonRetryable(
        'the host restarted while this stage ran, and the sandbox no longer keeps that run; it is not run again',
        ErrorType.StageInterrupted,
      );
    }
    if (answer.error)
      throw new Error(`the supervisor could not run ${opts.argv[0] ?? 'the files step'}: ${answer.error}`);
    if (answer.setup) throw new LaunchFailed(answer.setup);
    const wallMs = Date.now() - started;
    const after = lastSample ?? cgroup?.sample();
    if (answer.limit) limitExceeded ??= answer.limit;
    if (answer.oomKilled) limitExceeded ??= 'memory';
    const result = processResult({
      exitCode: answer.exitCode,
      wallMs,
      before,
      after,
      killedByHost: answer.killed || hostKilled !== undefined,
      limitExceeded,
      cpuTimeMs: opts.cpuTimeMs,
      capture,
      written: { stdout: answer.stdoutBytes, stderr: answer.stderrBytes },
      leftoverProcessesKilled: answer.killed ? 0 : answer.leftover,
    });
    if (answer.oomKilled) result.oomKilled = true;
    return { result, stdoutBytes: capture.stdout.buffer() };
  } finally {
    clearTimeout(backstop);
    opts.signal?.removeEventListener('abort', onAbort);
    await live?.stop();
    await hostKilled;
  }
}

/**
 * The container went down under the program (the OOM killer took its init, or the host killed it):
 * the engine still knows why, and the process went with it.
 */
async function lostContainer(sandbox: SupervisedSandbox): Promise<LostAnswer> {
  const state = await sandbox.container.inspect().catch(() => undefined);
  return {
    exitCode: 137,
    wallMs: 0,
    killed: false,
    leftover: 0,
    stdoutBytes: 0,
    stderrBytes: 0,
    oomKilled: state?.State.OOMKilled === true,
  };
}
