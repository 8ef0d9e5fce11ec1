import { z } from 'zod';

/** Below this no interpreter starts, and the tmpfs mounts could not stay under half the limit. */
export const MIN_MEMORY_MB = 16;

const positiveInt = z.number().int('must be an integer').positive('must be positive');

/** Limits a request may ask for; each must stay within the policy's ceiling. */
export const RequestedLimits = z.strictObject({
  timeoutMs: positiveInt.max(3_600_000, 'must be at most 3600000').optional(),
  memoryMb: positiveInt
    .min(MIN_MEMORY_MB, `must be at least ${MIN_MEMORY_MB}`)
    .max(65_536, 'must be at most 65536')
    .optional(),
});
export type RequestedLimits = z.infer<typeof RequestedLimits>;

/** Every limit that is applied to a sandbox, fully resolved. */
export const Limits = z.strictObject({
  /** Wall-clock limit of the run stage, enforced by a host-side timer. */
  timeoutMs: positiveInt,
  memoryMb: positiveInt.min(MIN_MEMORY_MB),
  cpus: z.number().positive().max(64),
  pids: positiveInt.max(4096),
  /** Cap on stdout plus stderr per stage; the process is killed when it is reached. */
  outputBytes: positiveInt.max(1_048_576, 'must be at most 1 MiB (results are kept in workflow history)'),
  /** Wall-clock limit of the test stage. */
  testTimeoutMs: positiveInt,
});
export type Limits = z.infer<typeof Limits>;
