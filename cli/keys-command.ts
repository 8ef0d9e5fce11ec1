import fs from 'node:fs';
import path from 'node:path';
import { ApiKeyStore, TenantName } from '../lib/api-keys';
import { UsageError } from './run-command';

/** `airlock keys …`: operator commands on the API's key file (run where the API runs). */
export function keysCreate(opts: { tenant: string; label?: string; file?: string }): void {
  const tenant = TenantName.safeParse(opts.tenant);
  if (!tenant.success)
    throw new UsageError(`--tenant: must be lowercase letters, digits and dashes, got "${opts.tenant}"`);
  const { key, record } = new ApiKeyStore(opts.file).create(tenant.data, opts.label);
  process.stderr.write(`created key ${record.id} for tenant ${record.tenant}; it is shown once:\n`);
  process.stdout.write(`${key}\n`);
}

export function keysList(opts: { file?: string }): void {
  const rows = new ApiKeyStore(opts.file).list();
  process.stdout.write('ID                TENANT              CREATED                   STATUS   LABEL\n');
  for (const r of rows) {
    process.stdout.write(
      `${r.id}  ${r.tenant.padEnd(18)}  ${r.createdAt.padEnd(24)}  ${(r.revokedAt ? 'revoked' : 'active').padEnd(7)}  ${r.label}\n`,
    );
  }
}

export function keysRevoke(id: string, opts: { file?: string }): void {
  if (!new ApiKeyStore(opts.file).revoke(id)) throw new UsageError(`no key with id ${id}`);
  process.stderr.write(`revoked key ${id}; running APIs refuse it within a second\n`);
}

/**
 * First start of the embedded service: if no key exists yet, make one for the `default` tenant and
 * save it, owner-only, where the CLI and the README's examples look for it.
 */
export function keysBootstrap(opts: { out: string; file?: string }): void {
  const store = new ApiKeyStore(opts.file);
  if (store.list().some((r) => !r.revokedAt) && fs.existsSync(opts.out)) {
    process.stderr.write(`API key: ${opts.out}\n`);
    return;
  }
  const { key, record } = store.create('default', 'embedded default');
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${key}\n`, { mode: 0o600 });
  fs.chmodSync(opts.out, 0o600);
  process.stderr.write(`created API key ${record.id} for tenant default; saved to ${opts.out} (mode 0600)\n`);
}
