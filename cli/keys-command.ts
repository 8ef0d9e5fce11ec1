import fs from 'node:fs';
import path from 'node:path';
import { ApiKeyStore, SCOPES, Scope, TenantName, type KeyGrant } from '../lib/node/api-keys';
import { loadPolicies } from '../lib/node/policies';
import { UsageError } from './run-command';
import { TenantQuotas } from '../lib/schemas/quotas';

/** `--scopes`, `--policies` and `--default-policy` as given on the command line. */
export interface GrantOptions {
  scopes?: string;
  policies?: string;
  defaultPolicy?: string;
}

const list = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** The grant the options ask for, each name checked: scopes against the known ones, policies against policies/. */
export function parseGrant(opts: GrantOptions, policiesDir?: string): KeyGrant {
  const scopes = list(opts.scopes);
  for (const scope of scopes ?? []) {
    if (!Scope.safeParse(scope).success)
      throw new UsageError(`--scopes: unknown scope "${scope}"; known: ${SCOPES.join(', ')}`);
  }
  if (scopes?.length === 0) throw new UsageError('--scopes: name at least one scope');
  const policies = list(opts.policies);
  const known = [...loadPolicies(policiesDir).keys()];
  for (const name of [...(policies ?? []), ...(opts.defaultPolicy ? [opts.defaultPolicy] : [])]) {
    if (!known.includes(name)) throw new UsageError(`no policy named "${name}"; known: ${known.join(', ')}`);
  }
  if (opts.defaultPolicy && !policies) throw new UsageError('--default-policy needs --policies, the list it is one of');
  if (opts.defaultPolicy && !policies!.includes(opts.defaultPolicy)) {
    throw new UsageError(
      `--default-policy "${opts.defaultPolicy}" must be one of --policies (${policies!.join(', ')})`,
    );
  }
  return {
    ...(scopes ? { scopes: scopes as Scope[] } : {}),
    ...(policies ? { policies } : {}),
    ...(opts.defaultPolicy ? { defaultPolicy: opts.defaultPolicy } : {}),
  };
}

function tenantName(tenant: string): string {
  const parsed = TenantName.safeParse(tenant);
  if (!parsed.success) throw new UsageError(`--tenant: must be lowercase letters, digits and dashes, got "${tenant}"`);
  return parsed.data;
}

/** `airlock keys …`: operator commands on the API's key file (run where the API runs). */
export function keysCreate(opts: { tenant: string; label?: string; file?: string } & GrantOptions): void {
  const tenant = tenantName(opts.tenant);
  const grant = parseGrant(opts);
  const { key, record } = new ApiKeyStore(opts.file).create(tenant, opts.label, grant);
  process.stderr.write(
    `created key ${record.id} for tenant ${record.tenant} (scopes ${record.scopes!.join(', ')}); it is shown once:\n`,
  );
  process.stdout.write(`${key}\n`);
}

export function keysList(opts: { file?: string }): void {
  const store = new ApiKeyStore(opts.file);
  const principals = new Map(store.principals().map((p) => [p.keyId, p]));
  process.stdout.write(
    'ID                TENANT              CREATED                   STATUS   SCOPES                POLICIES              LABEL\n',
  );
  for (const r of store.list()) {
    const p = principals.get(r.id)!;
    const scopes = `${p.scopes.join(',')}${r.scopes ? '' : ' (legacy)'}`;
    const policies = p.policies.allowed ? `${p.policies.allowed.join(',')} [${p.policies.default}]` : 'any [default]';
    process.stdout.write(
      `${r.id}  ${r.tenant.padEnd(18)}  ${r.createdAt.padEnd(24)}  ${(r.revokedAt ? 'revoked' : 'active').padEnd(7)}  ${scopes.padEnd(20)}  ${policies.padEnd(20)}  ${r.label}\n`,
    );
  }
}

export function keysRevoke(id: string, opts: { file?: string }): void {
  if (!new ApiKeyStore(opts.file).revoke(id)) throw new UsageError(`no key with id ${id}`);
  process.stderr.write(`revoked key ${id}; running APIs refuse it within a second\n`);
}

/** `airlock keys tenant T --policies … --default-policy …`: the policies a tenant's keys may name. */
export function keysTenant(tenant: string, opts: { file?: string; clear?: boolean } & GrantOptions): void {
  const name = tenantName(tenant);
  if (opts.scopes !== undefined) throw new UsageError('--scopes belong to keys, not tenants');
  const grant = opts.clear ? {} : parseGrant(opts);
  if (!opts.clear && !grant.policies)
    throw new UsageError('give --policies (and optionally --default-policy), or --clear');
  new ApiKeyStore(opts.file).bindTenant(name, grant);
  process.stderr.write(
    grant.policies
      ? `tenant ${name}: policies ${grant.policies.join(', ')}, default ${grant.defaultPolicy ?? grant.policies[0]}; keys with policies of their own keep them\n`
      : `tenant ${name}: no binding; its keys without policies of their own may name any policy\n`,
  );
}

/** `airlock keys quota` options as given: numbers as text, until checked. */
export interface QuotaOptions {
  executions?: string;
  sandboxes?: string;
  memoryMb?: string;
  cpus?: string;
  queuedSteps?: string;
  rate?: string;
  burst?: string;
  overQuota?: string;
  clear?: boolean;
}

/** Each quota's flag, for the errors that name one. */
const QUOTA_FLAGS: Record<keyof TenantQuotas, string> = {
  executions: '--executions',
  sandboxes: '--sandboxes',
  memoryMb: '--memory-mb',
  cpus: '--cpus',
  queuedSteps: '--queued-steps',
  requestsPerSecond: '--rate',
  burst: '--burst',
  overQuota: '--over-quota',
};

/**
 * `airlock keys quota T --executions 4 …`: sets the given quotas of a tenant, keeping the others;
 * `--clear` removes them all; with neither, shows them. Running APIs apply them within a second.
 */
export function keysQuota(tenant: string, opts: QuotaOptions & { file?: string }): void {
  const name = tenantName(tenant);
  const store = new ApiKeyStore(opts.file);
  const given: Record<string, unknown> = {};
  const numbers = { ...opts, requestsPerSecond: opts.rate } as Record<string, unknown>;
  for (const field of Object.keys(QUOTA_FLAGS) as Array<keyof TenantQuotas>) {
    const value = numbers[field];
    if (value === undefined) continue;
    given[field] = field === 'overQuota' ? value : Number(value);
  }
  const current = store.tenantBinding(name)?.quotas ?? {};
  if (!opts.clear && Object.keys(given).length === 0) {
    process.stdout.write(`${JSON.stringify({ tenant: name, quotas: current }, null, 2)}
`);
    return;
  }
  const parsed = TenantQuotas.safeParse(opts.clear ? {} : { ...current, ...given });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0] as keyof TenantQuotas;
    throw new UsageError(`${QUOTA_FLAGS[field] ?? field}: ${issue.message} (got ${String(given[field])})`);
  }
  store.setQuotas(name, parsed.data);
  process.stderr.write(
    Object.keys(parsed.data).length > 0
      ? `tenant ${name}: quotas ${JSON.stringify(parsed.data)}; running APIs apply them within a second\n`
      : `tenant ${name}: no quotas; nothing it does is bounded beyond its policies\n`,
  );
}

/**
 * First start of the embedded service: if no key exists yet, make one for the `default` tenant and
 * save it, owner-only, where the CLI and the README's examples look for it. It is the operator's
 * own key, with every scope (it still cannot approve what it submitted).
 */
export function keysBootstrap(opts: { out: string; file?: string }): void {
  const store = new ApiKeyStore(opts.file);
  if (store.list().some((r) => !r.revokedAt) && fs.existsSync(opts.out)) {
    process.stderr.write(`API key: ${opts.out}\n`);
    return;
  }
  const { key, record } = store.create('default', 'embedded default', { scopes: [...SCOPES] });
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${key}\n`, { mode: 0o600 });
  fs.chmodSync(opts.out, 0o600);
  process.stderr.write(`created API key ${record.id} for tenant default; saved to ${opts.out} (mode 0600)\n`);
}
