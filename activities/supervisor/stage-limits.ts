/**
 * The share of a stage's CPU-time limit its measured CPU time must reach for an exit to count as
 * the limit's doing. RLIMIT_CPU runs on the kernel's tick-sampled clock, which charges a whole tick
 * to whatever runs when it fires; the cgroup's figure is the scheduler's exact one. On a busy host
 * the tick clock runs ahead of it for a program that never sleeps: measured here at load 25 on
 * 2 cores, SIGXCPU at a 2 s soft limit came at 1.61-1.75 s of cgroup CPU time, and at 0.84 s for
 * a 1 s one. Half the limit leaves room for worse, and still tells a program that hit the limit
 * from one that merely exited 152 or 137.
 */
export const CPU_LIMIT_EVIDENCE_SHARE = 0.5;

/** RLIMIT_CPU for a stage: SIGXCPU at the soft limit, SIGKILL at the hard one a second later. */
export function cpuRlimitSeconds(stageCpuMs: number): { soft: number; hard: number } {
  const soft = Math.ceil(stageCpuMs / 1000);
  return { soft, hard: soft + 1 };
}

/**
 * The RLIMIT_CPU a stage runs under, when lower than the container's: the compile stage may need
 * more CPU time than the run, and rlimits are fixed when the container starts. The supervisor's
 * launcher lowers the hard limit too, so the program cannot raise its soft limit back. Undefined
 * when the container's own limit is already as low.
 */
export function stageCpuRlimit(
  stageCpuMs: number | undefined,
  containerCpuSeconds: number | undefined,
): { soft: number; hard: number } | undefined {
  if (stageCpuMs === undefined) return undefined;
  const limit = cpuRlimitSeconds(stageCpuMs);
  return containerCpuSeconds !== undefined && limit.soft >= containerCpuSeconds ? undefined : limit;
}

/** The container's RLIMIT_CPU soft limit, from its inspect data. */
export function containerCpuSeconds(ulimits: Array<{ Name?: string; Soft?: number }> | undefined): number | undefined {
  return ulimits?.find((u) => u.Name === 'cpu')?.Soft;
}

/**
 * Whether a stage's measured CPU time (every process of the sandbox during the stage) shows it
 * reached its CPU-time limit: the evidence a CPU-limit verdict rests on, since the exit code alone
 * cannot tell SIGXCPU from `exit(152)`. The kernel acts at the soft limit (the stage limit rounded
 * up to whole seconds) and kills a second later, both on its own clock, so the measured time is
 * compared with a share of the stage limit. Null when the CPU time or the limit is unknown.
 */
export function cpuLimitReached(cpuMs: number | null, stageCpuMs: number | undefined): boolean | null {
  if (cpuMs === null || stageCpuMs === undefined) return null;
  return cpuMs >= stageCpuMs * CPU_LIMIT_EVIDENCE_SHARE;
}
