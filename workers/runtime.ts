import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../lib/logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Routes the SDK's own logs (worker, activities, replay-aware workflow logs) into pino. Once per process. */
export function installRuntime(log: Logger): void {
  Runtime.install({
    // workers/main.ts handles them: a host drains before it stops.
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', (entry) => log[PINO_LEVEL[entry.level]](entry.meta ?? {}, entry.message)),
  });
}
