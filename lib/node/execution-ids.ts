import crypto from 'node:crypto';

/** How many hex digits follow an id's prefix: 128 bits, random or of a SHA-256. */
const ID_HEX_DIGITS = 32;

/** `<prefix>_` and 32 lower-case hex digits: the shape of every workflow id Airlock makes. */
export function idPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}_[0-9a-f]{${ID_HEX_DIGITS}}$`);
}

/**
 * A workflow id: `<prefix>_` and 32 hex digits, random, or derived from `keyParts` (NUL-joined and
 * hashed) so the same parts always name the same workflow. The parts are the id's identity: changing
 * what a caller passes changes every id an `Idempotency-Key` already maps to.
 */
export function prefixedId(prefix: string, keyParts?: readonly string[]): string {
  const hex =
    keyParts === undefined
      ? crypto.randomUUID().replaceAll('-', '')
      : crypto.createHash('sha256').update(keyParts.join('\u0000')).digest('hex').slice(0, ID_HEX_DIGITS);
  return `${prefix}_${hex}`;
}

const EXECUTION_PREFIX = 'ex';
export const SANDBOX_PREFIX = 'sbx';

/** `sbx_` and 32 hex digits: a sandbox id, also its workflow id. */
export const SANDBOX_ID_PATTERN = idPattern(SANDBOX_PREFIX);

/** `ex_` and 32 hex digits; the execution id is also the workflow id and names the container. */
export const EXECUTION_ID_PATTERN = idPattern(EXECUTION_PREFIX);

export function newExecutionId(): string {
  return prefixedId(EXECUTION_PREFIX);
}

/** An `Idempotency-Key` names one execution per tenant: the same key always maps to the same id. */
export function idempotentExecutionId(tenant: string, key: string): string {
  return prefixedId(EXECUTION_PREFIX, [tenant, key]);
}
