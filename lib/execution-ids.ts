import crypto from 'node:crypto';

/** `ex_` and 32 hex digits; the execution id is also the workflow id and names the container. */
export const EXECUTION_ID_PATTERN = /^ex_[0-9a-f]{32}$/;

export function newExecutionId(): string {
  return `ex_${crypto.randomUUID().replaceAll('-', '')}`;
}
