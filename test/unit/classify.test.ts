import { classifyRun } from '../../lib/classify';
import { signalFromExitCode, signalName } from '../../lib/signals';
import type { ProcessResult } from '../../lib/schemas/execution-result';

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
});

describe('signals', () => {
  test('exit codes above 128 name the signal', () => {
    expect(signalFromExitCode(137)).toBe('SIGKILL');
    expect(signalFromExitCode(139)).toBe('SIGSEGV');
    expect(signalFromExitCode(134)).toBe('SIGABRT');
    expect(signalFromExitCode(1)).toBeNull();
    expect(signalFromExitCode(128)).toBeNull();
    expect(signalFromExitCode(null)).toBeNull();
    expect(signalFromExitCode(255)).toBeNull();
    expect(signalName(40)).toBe('SIG40');
  });
});
