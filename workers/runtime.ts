import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../lib/node/logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the SDK's own logs (worker, activities, replay-aware workflow logs) into pino. Once per process.
 * Each SDK line about a workflow also names it as `executionId`, the field every Airlock line uses
 * (the workflow id is the execution or sandbox id). Activity lines get their trace from the active
 * span (lib/node/logger.ts); workflow lines bring it from the workflow's interceptor, renamed to match.
 */
export function installRuntime(log: Logger): void {
  Runtime.install({
    // workers/main.ts handles them: a host drains before it stops.
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', (entry) =>
      log[PINO_LEVEL[entry.level]](airlockFields(entry.meta), entry.message),
    ),
  });
}

function airlockFields(meta: LogMetadata = {}): LogMetadata {
  const { trace_id: traceId, span_id: spanId, trace_flags: _flags, ...rest } = meta;
  return {
    ...(typeof rest.workflowId === 'string' ? { executionId: rest.workflowId } : {}),
    ...(traceId === undefined ? {} : { traceId, spanId }),
    ...rest,
  };
}
