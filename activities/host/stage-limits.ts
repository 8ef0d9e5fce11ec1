/**
 * The argv that runs `argv` under a lower RLIMIT_CPU than the container's: the compile stage may
 * need more CPU time than the run, and rlimits are fixed when the container starts. The hard
 * limit is lowered too, so the program cannot raise its soft limit back.
 */
export function withCpuLimit(argv: string[], stageCpuMs: number, containerCpuSeconds: number | undefined): string[] {
  const soft = Math.ceil(stageCpuMs / 1000);
  if (containerCpuSeconds !== undefined && soft >= containerCpuSeconds) return argv;
  return [
    '/bin/sh',
    '-c',
    'ulimit -S -t "$1" && ulimit -H -t "$2" && shift 2 && exec "$@"',
    'sh',
    String(soft),
    String(soft + 1),
    ...argv,
  ];
}

/** The container's RLIMIT_CPU soft limit, from its inspect data. */
export function containerCpuSeconds(ulimits: Array<{ Name?: string; Soft?: number }> | undefined): number | undefined {
  return ulimits?.find((u) => u.Name === 'cpu')?.Soft;
}
