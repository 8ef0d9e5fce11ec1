import crypto from 'node:crypto';

/** `ex_` and 32 hex digits; the execution id is also the workflow id and names the container. */
export const EXECUTION_ID_PATTERN = /^ex_[0-9a-f]{32}$/;

export function newExecutionId(): string {
  return `ex_${crypto.randomUUID().replaceAll('-', '')}`;
}

/** An `Idempotency-Key` names one execution per tenant: the same key always maps to the same id. */
export function idempotentExecutionId(tenant: string, key: string): string {
  return `ex_${crypto.createHash('sha256').update(`${tenant}\u0000${key}`).digest('hex').slice(0, 32)}`;
}
