import type { ProcessResult } from './schemas/execution-result';
import type { TerminalStatus } from './vocabulary';

export interface Classification {
  status: TerminalStatus;
  timeLimit: 'wall' | 'cpu' | 'deadline' | null;
}

type Limit = NonNullable<ProcessResult['limitExceeded']>;

interface LimitVerdict extends Classification {
  /** The stage record's detail. */
  killedAt(timeoutMs: number): string;
  /** A compile error's message; null: the compiler's own output says more. */
  compiler: string | null;
}

/** What each limit means, said once: for the execution's status, a stage's record and a compile error. */
export const LIMIT_VERDICTS: Record<Limit, LimitVerdict> = {
  wall: {
    status: 'time_limit_exceeded',
    timeLimit: 'wall',
    killedAt: (timeoutMs) => `killed at the ${timeoutMs} ms wall-clock limit`,
    compiler: 'the compiler ran past its time limit',
  },
  output: {
    status: 'output_limit_exceeded',
    timeLimit: null,
    killedAt: () => 'killed at the output limit',
    compiler: null,
  },
  memory: {
    status: 'memory_limit_exceeded',
    timeLimit: null,
    killedAt: () => 'killed at the memory limit',
    compiler: 'the compiler ran out of memory',
  },
  cpu: {
    status: 'time_limit_exceeded',
    timeLimit: 'cpu',
    killedAt: () => 'killed at the CPU-time limit',
    compiler: 'the compiler ran past its CPU-time limit',
  },
};

/**
 * The execution status a finished run implies. Limits come first, because a process killed at a
 * limit also exits with a signal. The CPU-time verdict rests on the host's evidence that the
 * stage's CPU time reached its limit (`limitExceeded: 'cpu'`), never on the exit code alone.
 */
export function classifyRun(run: ProcessResult): Classification {
  // Set only by hosts that tell the host's OOM kills from the limit's: older results never carry it.
  if (run.hostOutOfMemory) return { status: 'host_out_of_memory', timeLimit: null };
  if (run.limitExceeded) {
    const { status, timeLimit } = LIMIT_VERDICTS[run.limitExceeded];
    return { status, timeLimit };
  }
  // The host reads an exit as SIGXCPU only with that evidence, or when it cannot measure CPU time;
  // results recorded before `cpu` was reported carry just this signal and must replay the same.
  if (run.signal === 'SIGXCPU') return { status: 'time_limit_exceeded', timeLimit: 'cpu' };
  if (run.exitCode === 0) return { status: 'succeeded', timeLimit: null };
  if (run.signal !== null) return { status: 'signaled', timeLimit: null };
  return { status: 'runtime_error', timeLimit: null };
}
