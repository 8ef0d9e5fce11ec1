import type Docker from 'dockerode';
import { classifyRun } from '../../lib/classify';
import { signalFromExit, signalFromExitCode, signalName, type ExitEvidence } from '../../activities/supervisor/signals';
import { ProcessResult } from '../../lib/schemas/execution-result';
import { ContainerCgroup, type CgroupSample } from '../../activities/supervisor/cgroup-metrics';
import { superviseCapture, type SupervisedProcessOptions } from '../../activities/supervisor/process';
import type { SupervisedSandbox } from '../../activities/supervisor/sandboxes';
import type { RunAnswer, SupervisorChannel } from '../../activities/supervisor/channel';
import { cpuLimitReached, cpuRlimitSeconds, stageCpuRlimit } from '../../activities/supervisor/stage-limits';

function run(overrides: Partial<ProcessResult>): ProcessResult {
  return {
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutBytes: 0,
    stderrBytes: 0,
    stdoutTruncated: false,
    stderrTruncated: false,
    wallMs: 1,
    durationMs: 1,
    cpuMs: 1,
    peakMemoryBytes: 1,
    oomKilled: false,
    limitExceeded: null,
    leftoverProcessesKilled: 0,
    outputFindings: [],
    outputBlocked: false,
    ...overrides,
  };
}

describe('classifyRun', () => {
  test.each([
    [{ exitCode: 0 }, 'succeeded', null],
    [{ exitCode: 2 }, 'runtime_error', null],
    [{ exitCode: 139, signal: 'SIGSEGV' }, 'signaled', null],
    [{ exitCode: 152, signal: 'SIGXCPU', limitExceeded: 'cpu' as const }, 'time_limit_exceeded', 'cpu'],
    // SIGXCPU ignored: the kernel's SIGKILL at the hard limit is still the CPU limit.
    [{ exitCode: 137, signal: 'SIGKILL', limitExceeded: 'cpu' as const }, 'time_limit_exceeded', 'cpu'],
    // A plain exit(152) or exit(137): the host found no signal behind the code.
    [{ exitCode: 152, signal: null }, 'runtime_error', null],
    [{ exitCode: 137, signal: null }, 'runtime_error', null],
    // A SIGKILL no limit explains (the program killed itself) is just a signal.
    [{ exitCode: 137, signal: 'SIGKILL' }, 'signaled', null],
    // Results recorded before `cpu` was reported carry only the signal, and must classify as they did.
    [{ exitCode: 152, signal: 'SIGXCPU' }, 'time_limit_exceeded', 'cpu'],
    [{ exitCode: 137, signal: 'SIGKILL', limitExceeded: 'wall' as const }, 'time_limit_exceeded', 'wall'],
    [{ exitCode: 137, signal: 'SIGKILL', limitExceeded: 'output' as const }, 'output_limit_exceeded', null],
    [
      { exitCode: 137, signal: 'SIGKILL', oomKilled: true, limitExceeded: 'memory' as const },
      'memory_limit_exceeded',
      null,
    ],
  ])('%j is %s', (overrides, status, timeLimit) => {
    expect(classifyRun(run(overrides))).toEqual({ status, timeLimit });
  });

  test('results from before the cpu limit was reported still parse', () => {
    const recorded = { ...run({ exitCode: 152, signal: 'SIGXCPU' }) } as Record<string, unknown>;
    expect(ProcessResult.parse(recorded)).toEqual(recorded);
    expect(ProcessResult.parse({ ...recorded, limitExceeded: 'cpu' }).limitExceeded).toBe('cpu');
  });
});

describe('signals', () => {
  test('exit codes above 128 name the signal by shell convention', () => {
    expect(signalFromExitCode(137)).toBe('SIGKILL');
    expect(signalFromExitCode(139)).toBe('SIGSEGV');
    expect(signalFromExitCode(134)).toBe('SIGABRT');
    expect(signalFromExitCode(1)).toBeNull();
    expect(signalFromExitCode(128)).toBeNull();
    expect(signalFromExitCode(null)).toBeNull();
    expect(signalFromExitCode(255)).toBeNull();
    expect(signalName(40)).toBe('SIG40');
  });

  const none: ExitEvidence = { killedByHost: false, oomKilled: false, cpuLimitReached: false };

  test('SIGXCPU is read only where the CPU limit may have been reached', () => {
    expect(signalFromExit(152, none)).toBeNull();
    expect(signalFromExit(152, { ...none, killedByHost: true, oomKilled: true })).toBeNull();
    expect(signalFromExit(152, { ...none, cpuLimitReached: true })).toBe('SIGXCPU');
    expect(signalFromExit(152, { ...none, cpuLimitReached: null })).toBe('SIGXCPU');
  });

  test('SIGKILL is read only with a known sender: the host, the OOM killer, or the CPU hard limit', () => {
    expect(signalFromExit(137, none)).toBeNull();
    expect(signalFromExit(137, { ...none, killedByHost: true })).toBe('SIGKILL');
    expect(signalFromExit(137, { ...none, oomKilled: true })).toBe('SIGKILL');
    expect(signalFromExit(137, { ...none, cpuLimitReached: true })).toBe('SIGKILL');
    expect(signalFromExit(137, { ...none, cpuLimitReached: null })).toBe('SIGKILL');
  });

  test('other codes keep the shell reading', () => {
    expect(signalFromExit(139, none)).toBe('SIGSEGV');
    expect(signalFromExit(134, none)).toBe('SIGABRT');
    expect(signalFromExit(3, none)).toBeNull();
    expect(signalFromExit(null, none)).toBeNull();
  });
});

describe('CPU-time limit', () => {
  test('the soft limit is the stage limit rounded up to seconds, the hard one a second later', () => {
    expect(cpuRlimitSeconds(1_000)).toEqual({ soft: 1, hard: 2 });
    expect(cpuRlimitSeconds(1_500)).toEqual({ soft: 2, hard: 3 });
    // Lowered for a stage only below the container's own limit.
    expect(stageCpuRlimit(1_500, 10)).toEqual({ soft: 2, hard: 3 });
    expect(stageCpuRlimit(2_000, 2)).toBeUndefined();
    expect(stageCpuRlimit(1_500, undefined)).toEqual({ soft: 2, hard: 3 });
    expect(stageCpuRlimit(undefined, 10)).toBeUndefined();
  });

  test('is reached when the measured CPU time gets to half the limit: the kernel counts on a coarser clock', () => {
    expect(cpuLimitReached(1_000, 1_000)).toBe(true);
    // SIGXCPU at a 1 s limit was measured at 839 ms of cgroup CPU time on a loaded host.
    expect(cpuLimitReached(839, 1_000)).toBe(true);
    expect(cpuLimitReached(500, 1_000)).toBe(true);
    expect(cpuLimitReached(499, 1_000)).toBe(false);
    expect(cpuLimitReached(16, 1_000)).toBe(false);
    expect(cpuLimitReached(2_400, 5_000)).toBe(false);
    expect(cpuLimitReached(null, 1_000)).toBeNull();
    expect(cpuLimitReached(1_200, undefined)).toBeNull();
  });
});

/** A cgroup whose CPU counter advances by `cpuMs` across one process; OOM kills likewise. */
class FakeCgroup extends ContainerCgroup {
  private samples = 0;
  constructor(
    private readonly cpuMs: number | null,
    private readonly oomKills = 0,
    /** The container's memory limit (the peak is 1 MiB); undefined: a host that cannot tell. */
    private readonly limitBytes?: number,
  ) {
    super();
  }
  sample(): CgroupSample {
    const after = this.samples++ > 0;
    return {
      cpuNs: this.cpuMs === null ? null : after ? 5e9 + this.cpuMs * 1e6 : 5e9,
      peakBytes: 1 << 20,
      oomKills: after ? this.oomKills : 0,
      ...(this.limitBytes === undefined ? {} : { limitBytes: this.limitBytes }),
    };
  }
  processes(): number[] {
    return [];
  }
  resetPeak(): void {}
}

/** A sandbox whose supervisor answers each run at once with `exitCode` (128 + n for signal n). */
function exitingSandbox(exitCode: number, cgroup: ContainerCgroup, answer: Partial<RunAnswer> = {}): SupervisedSandbox {
  const channel = {
    closed: false,
    run: async (): Promise<RunAnswer> => ({
      exitCode,
      wallMs: 1,
      killed: false,
      leftover: 0,
      stdoutBytes: 0,
      stderrBytes: 0,
      ...answer,
    }),
  };
  return {
    container: { kill: async () => undefined } as unknown as Docker.Container,
    channel: channel as unknown as SupervisorChannel,
    initPid: 1,
    cgroup,
    cpuSeconds: undefined,
  };
}

const supervised = async (sandbox: SupervisedSandbox, opts: SupervisedProcessOptions) =>
  (await superviseCapture(sandbox, opts)).result;

describe('a supervised run read against its CPU time', () => {
  const limits = { argv: ['main'], timeoutMs: 10_000, outputBytes: 1024, cpuTimeMs: 1_000 };

  test.each([
    // CPU times as measured for the real thing on a loaded host (the kernel's own clock said 1 s and 2 s).
    ['a real SIGXCPU at the soft limit', 152, 839, 'SIGXCPU', 'cpu', 'time_limit_exceeded'],
    ['SIGXCPU ignored, SIGKILL at the hard limit', 137, 1_861, 'SIGKILL', 'cpu', 'time_limit_exceeded'],
    ['exit(152) after 16 ms of CPU', 152, 16, null, null, 'runtime_error'],
    ['exit(137) after 16 ms of CPU', 137, 16, null, null, 'runtime_error'],
    ['a segfault', 139, 16, 'SIGSEGV', null, 'signaled'],
    ['a CPU-heavy program that exits 3', 3, 1_500, null, null, 'runtime_error'],
  ])('%s', async (_name, exitCode, cpuMs, signal, limitExceeded, status) => {
    const result = await supervised(exitingSandbox(exitCode, new FakeCgroup(cpuMs)), limits);
    expect(result).toMatchObject({ exitCode, cpuMs, signal, limitExceeded });
    expect(classifyRun(result).status).toBe(status);
  });

  test('an OOM kill explains a SIGKILL whatever the CPU time', async () => {
    const result = await supervised(exitingSandbox(137, new FakeCgroup(1_500, 1)), limits);
    expect(result).toMatchObject({ signal: 'SIGKILL', oomKilled: true, limitExceeded: 'memory' });
  });

  test('an OOM kill of a program whose peak stayed well under its limit is the host running out', async () => {
    const pressed = await supervised(exitingSandbox(137, new FakeCgroup(20, 1, 64 << 20)), limits);
    expect(pressed).toMatchObject({ oomKilled: true, hostOutOfMemory: true, limitExceeded: null });
    expect(classifyRun(pressed).status).toBe('host_out_of_memory');
    // At the limit the peak is the limit (here 1 MiB, as measured for a real memory bomb).
    const atLimit = await supervised(exitingSandbox(137, new FakeCgroup(20, 1, 1 << 20)), limits);
    expect(atLimit).toMatchObject({ oomKilled: true, limitExceeded: 'memory' });
    expect(atLimit.hostOutOfMemory).toBeUndefined();
    expect(classifyRun(atLimit).status).toBe('memory_limit_exceeded');
  });

  test('a SIGKILL the supervisor sent at the wall limit stays a wall-limit kill, whatever the CPU time', async () => {
    const sandbox = exitingSandbox(137, new FakeCgroup(12), { limit: 'wall', killed: true });
    const result = await supervised(sandbox, { ...limits, timeoutMs: 20 });
    expect(result).toMatchObject({ exitCode: 137, signal: 'SIGKILL', limitExceeded: 'wall' });
  });

  test('a supervisor that does not stop the program in time: the host stops it, a wall-limit kill', async () => {
    let terminated = false;
    const sandbox = exitingSandbox(0, new FakeCgroup(12));
    // Answers only once the host has acted: its kill message, then the container's processes killed.
    sandbox.channel.run = (_request, _handlers, signal) =>
      new Promise((resolve) =>
        signal!.addEventListener('abort', () =>
          resolve({ exitCode: 137, wallMs: 2_020, killed: false, leftover: 0, stdoutBytes: 0, stderrBytes: 0 }),
        ),
      );
    const result = await supervised(sandbox, {
      ...limits,
      timeoutMs: 20,
      terminate: async () => {
        terminated = true;
      },
    });
    expect(terminated).toBe(true);
    expect(result).toMatchObject({ exitCode: 137, signal: 'SIGKILL', limitExceeded: 'wall' });
  });

  test('a run the supervisor ran but no longer keeps is not run again: the stage ends StageInterrupted', async () => {
    const sandbox = exitingSandbox(0, new FakeCgroup(1), { exitCode: null, evicted: true, error: 'no longer kept' });
    await expect(supervised(sandbox, { ...limits, key: 'wf/run/2#0' })).rejects.toMatchObject({
      type: 'StageInterrupted',
      nonRetryable: true,
    });
  });

  test('without a CPU measurement, or a limit, the exit code is taken at its word', async () => {
    const unmeasured = await supervised(exitingSandbox(152, new FakeCgroup(null)), limits);
    expect(unmeasured).toMatchObject({ signal: 'SIGXCPU', cpuMs: null, limitExceeded: null });
    expect(classifyRun(unmeasured)).toEqual({ status: 'time_limit_exceeded', timeLimit: 'cpu' });
    const { cpuTimeMs: _unused, ...noLimit } = limits;
    const unlimited = await supervised(exitingSandbox(137, new FakeCgroup(16)), noLimit);
    expect(unlimited).toMatchObject({ signal: 'SIGKILL', limitExceeded: null });
  });
});
