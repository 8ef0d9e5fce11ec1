import { z } from 'zod';

/** Below this no interpreter starts, and the tmpfs mounts could not stay under half the limit. */
export const MIN_MEMORY_MB = 16;

const positiveInt = z.number().int('must be an integer').positive('must be positive');

/** The limits a request may set; each must stay within the policy's ceiling. */
export const REQUESTABLE_LIMITS = ['timeoutMs', 'cpuTimeMs', 'memoryMb'] as const;
export type RequestableLimit = (typeof REQUESTABLE_LIMITS)[number];

export const RequestedLimits = z.strictObject({
  timeoutMs: positiveInt.max(3_600_000, 'must be at most 3600000').optional(),
  cpuTimeMs: positiveInt.max(3_600_000, 'must be at most 3600000').optional(),
  memoryMb: positiveInt
    .min(MIN_MEMORY_MB, `must be at least ${MIN_MEMORY_MB}`)
    .max(65_536, 'must be at most 65536')
    .optional(),
});
export type RequestedLimits = z.infer<typeof RequestedLimits>;

export const LimitCeilings = z.strictObject({
  timeoutMs: positiveInt,
  cpuTimeMs: positiveInt,
  memoryMb: positiveInt,
});
export type LimitCeilings = z.infer<typeof LimitCeilings>;

/** Every limit applied to a sandbox, fully resolved. */
export const Limits = z.strictObject({
  /** Wall-clock limit of the run stage, enforced by a host-side timer that sends SIGKILL. */
  timeoutMs: positiveInt,
  /** CPU time per process (RLIMIT_CPU, whole seconds, rounded up): SIGXCPU, then SIGKILL a second later. */
  cpuTimeMs: positiveInt,
  /** Memory and memory plus swap alike: no swap. tmpfs mounts are charged to it. */
  memoryMb: positiveInt.min(MIN_MEMORY_MB),
  cpus: z.number().positive().max(64),
  /** Processes and threads in the container (PidsLimit). */
  pids: positiveInt.max(4096),
  /** RLIMIT_NOFILE. */
  openFiles: positiveInt.max(65_536),
  /** RLIMIT_FSIZE: the largest file a process may write. */
  fileSizeMb: positiveInt,
  /** Cap on stdout plus stderr per stage; the process is killed when it is reached. */
  outputBytes: positiveInt.max(1_048_576, 'must be at most 1 MiB (results are kept in workflow history)'),
  /** Wall-clock limit of the test stage. */
  testTimeoutMs: positiveInt,
});
export type Limits = z.infer<typeof Limits>;
