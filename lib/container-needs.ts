import type { ExecutionPlan } from './schemas/policy';

/**
 * What an execution's container as a whole needs: the most memory and CPU time of any stage it runs
 * (a compile stage may need more than the run). Each stage then lowers its own limits inside it.
 */
export function containerNeeds({ limits, compile, test }: Pick<ExecutionPlan, 'limits' | 'compile' | 'test'>): {
  memoryMb: number;
  cpuTimeMs: number;
} {
  return {
    memoryMb: Math.max(limits.memoryMb, compile?.memoryMb ?? 0),
    cpuTimeMs: Math.max(limits.cpuTimeMs, compile?.timeoutMs ?? 0, test ? limits.testTimeoutMs : 0),
  };
}
