// Linux x86_64/arm64 signal numbers; by shell convention an exit code above 128 means "killed by signal (code - 128)".
const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  16: 'SIGSTKFLT',
  17: 'SIGCHLD',
  18: 'SIGCONT',
  19: 'SIGSTOP',
  20: 'SIGTSTP',
  21: 'SIGTTIN',
  22: 'SIGTTOU',
  23: 'SIGURG',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  28: 'SIGWINCH',
  29: 'SIGIO',
  30: 'SIGPWR',
  31: 'SIGSYS',
};

export function signalName(signal: number): string {
  return SIGNAL_NAMES[signal] ?? `SIG${signal}`;
}

/** The signal a shell-style exit code names (128 + n), or null for a normal exit. */
export function signalFromExitCode(exitCode: number | null): string | null {
  if (exitCode === null || exitCode <= 128 || exitCode > 128 + 64) return null;
  return signalName(exitCode - 128);
}

/** What the host saw of a process's end, beyond its exit code. */
export interface ExitEvidence {
  /** The host killed the process itself (a wall-clock or output limit, a cancel). */
  killedByHost: boolean;
  /** The kernel's OOM killer struck during the process's stage. */
  oomKilled: boolean;
  /** The stage's CPU time reached its CPU-time limit; null when either is unknown. */
  cpuLimitReached: boolean | null;
}

/**
 * The signal that ended a process, as far as the engine lets the host tell. The engine reports a
 * death by signal n as exit code 128 + n, the same number a process may simply exit with, so a
 * code above 128 is only a reading. Inside the sandbox SIGXCPU and SIGKILL come from known
 * sources (RLIMIT_CPU, the OOM killer, the host), so those two are read as signals only when one of
 * the sources is confirmed; when the CPU time could not be measured the code is taken at its word.
 * Other codes (a segfault's 139, an abort's 134) keep the shell reading.
 */
export function signalFromExit(exitCode: number | null, evidence: ExitEvidence): string | null {
  const signal = signalFromExitCode(exitCode);
  const cpuLimitPossible = evidence.cpuLimitReached !== false;
  if (signal === 'SIGXCPU') return cpuLimitPossible ? signal : null;
  if (signal === 'SIGKILL') return evidence.killedByHost || evidence.oomKilled || cpuLimitPossible ? signal : null;
  return signal;
}
