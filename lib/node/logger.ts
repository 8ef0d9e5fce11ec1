import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;

const scopedFields = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `fn` so that every line logged inside it, however deep, carries `fields` (e.g. the execution id). */
export function withLogFields<T>(fields: Record<string, unknown>, fn: () => T): T {
  return scopedFields.run({ ...scopedFields.getStore(), ...fields }, fn);
}

/** Added to every line: the scoped fields and, inside a span, its trace (a line's own fields win). */
function contextFields(): Record<string, unknown> {
  const fields = { ...scopedFields.getStore() };
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) Object.assign(fields, { traceId: span.traceId, spanId: span.spanId });
  return fields;
}

/** JSON lines on stdout, or on `destination` (tests). */
export function createLogger(
  name: string,
  level = process.env.AIRLOCK_LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino({ name, level, base: { pid: process.pid }, mixin: contextFields }, destination);
}
