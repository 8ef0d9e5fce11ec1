import type { ProcessResult } from './schemas/execution-result';
import type { TerminalStatus } from './vocabulary';

export interface Classification {
  status: TerminalStatus;
  timeLimit: 'wall' | 'cpu' | 'deadline' | null;
}

/**
 * The execution status a finished run implies. Limits come first, because a process killed at a
 * limit also exits with a signal. The CPU-time verdict rests on the host's evidence that the
 * stage's CPU time reached its limit (`limitExceeded: 'cpu'`), never on the exit code alone.
 */
export function classifyRun(run: ProcessResult): Classification {
  if (run.limitExceeded === 'wall') return { status: 'time_limit_exceeded', timeLimit: 'wall' };
  if (run.limitExceeded === 'output') return { status: 'output_limit_exceeded', timeLimit: null };
  if (run.limitExceeded === 'memory') return { status: 'memory_limit_exceeded', timeLimit: null };
  if (run.limitExceeded === 'cpu') return { status: 'time_limit_exceeded', timeLimit: 'cpu' };
  // The host reads an exit as SIGXCPU only with that evidence, or when it cannot measure CPU time;
  // results recorded before `cpu` was reported carry just this signal and must replay the same.
  if (run.signal === 'SIGXCPU') return { status: 'time_limit_exceeded', timeLimit: 'cpu' };
  if (run.exitCode === 0) return { status: 'succeeded', timeLimit: null };
  if (run.signal !== null) return { status: 'signaled', timeLimit: null };
  return { status: 'runtime_error', timeLimit: null };
}
