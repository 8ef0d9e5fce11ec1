import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { z } from 'zod';
import { STATE_DIR } from './paths';
import { withFileLock, writeFileAtomic } from './locked-file';
import { DEFAULT_POLICY } from './policies';
import { TenantQuotas } from '../schemas/quotas';

export const DEFAULT_KEYS_FILE = process.env.AIRLOCK_KEYS_FILE ?? path.join(STATE_DIR, 'keys.json');

const KEY_PATTERN = /^ak_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * What a key may do. `submit`: run code (executions, batches, sandboxes and their steps) and read
 * and cancel its tenant's executions. `approve`: decide on executions waiting for approval, never
 * on one it submitted. `admin`: list and revoke its tenant's keys. `codec`: decrypt and encrypt
 * payloads through the codec endpoint, every tenant's, so it is for the deployment's operators alone.
 */
export const SCOPES = ['submit', 'approve', 'admin', 'codec'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;
/** A key file from before scopes: its keys keep the powers they had (docs/security.md). */
export const LEGACY_SCOPES: readonly Scope[] = ['submit', 'approve'];

const PolicyName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
export const TenantName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

const BindingFields = {
  policies: z.array(PolicyName).min(1).optional(),
  defaultPolicy: PolicyName.optional(),
};
/** A default without an allowed list would leave every policy open: the default must be one of the list. */
const bindingProblem = (b: { policies?: string[] | undefined; defaultPolicy?: string | undefined }) =>
  b.defaultPolicy !== undefined && !(b.policies ?? []).includes(b.defaultPolicy);
/**
 * Which policies requests may name, and the one they get when they name none (the list's first if
 * not said); for a tenant, also its quotas.
 */
const Binding = z
  .strictObject({ ...BindingFields, quotas: TenantQuotas.optional() })
  .refine((b) => !bindingProblem(b), { path: ['defaultPolicy'], message: 'must be one of policies' });
export type Binding = z.infer<typeof Binding>;

const KeyRecord = z
  .strictObject({
    id: z.string().regex(/^[0-9a-f]{16}$/),
    tenant: TenantName,
    label: z.string().default(''),
    /** sha256 of the whole key; the key itself is never stored. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    createdAt: z.string(),
    revokedAt: z.string().nullable().default(null),
    /** Absent in key files from before scopes. */
    scopes: z.array(Scope).min(1).optional(),
    ...BindingFields,
  })
  .refine((b) => !bindingProblem(b), { path: ['defaultPolicy'], message: 'must be one of policies' });
export type KeyRecord = z.infer<typeof KeyRecord>;

const KeysFile = z.strictObject({
  version: z.literal(1),
  keys: z.array(KeyRecord),
  /** Per tenant: the policies its keys may name, unless a key has its own. */
  tenants: z.record(TenantName, Binding).default({}),
});
type KeysFile = z.infer<typeof KeysFile>;

/** The policies a principal may name, and its default. `allowed: null` is every policy. */
export interface PolicyBinding {
  allowed: string[] | null;
  default: string;
  /** Where the binding comes from, for error messages and the audit record. */
  from: 'key' | 'tenant' | 'none';
}

export interface Principal {
  tenant: string;
  keyId: string;
  label: string;
  scopes: Scope[];
  policies: PolicyBinding;
  /** The tenant's quotas; empty when none are set (nothing is bounded). */
  quotas: TenantQuotas;
}

/** A key's powers as written in the file: its own binding first, then its tenant's. */
export function principalFor(record: KeyRecord, tenants: KeysFile['tenants']): Principal {
  const tenant = tenants[record.tenant] ?? {};
  const source = record.policies || record.defaultPolicy ? record : tenant;
  const allowed = source.policies ?? null;
  return {
    tenant: record.tenant,
    keyId: record.id,
    label: record.label,
    scopes: record.scopes ?? [...LEGACY_SCOPES],
    policies: {
      allowed,
      default: source.defaultPolicy ?? allowed?.[0] ?? DEFAULT_POLICY,
      from: source === record ? 'key' : source.policies || source.defaultPolicy ? 'tenant' : 'none',
    },
    quotas: tenant.quotas ?? {},
  };
}

export interface KeyGrant extends Binding {
  scopes?: Scope[];
}

/**
 * API keys, stored as hashes in one JSON file (mode 0600). Each key belongs to a tenant and carries
 * scopes and, optionally, the policies it may run under. The file is re-read when it changes, so
 * keys added or revoked by `airlock keys` take effect on running API processes within a second.
 * Changes are made under a lock file, so two at once never lose one. A file that no longer parses
 * (a hand edit gone wrong) does not take every request down: the last good keys stay in force, and
 * `onInvalid` hears of it once per version of the file. One that never parsed fails the start.
 */
export class ApiKeyStore {
  private data: KeysFile = { version: 1, keys: [], tenants: {} };
  private stamp = '';
  private checkedAt = 0;
  private loaded = false;
  private readonly onInvalid: (err: Error) => void;

  constructor(
    readonly file: string = DEFAULT_KEYS_FILE,
    opts: { onInvalid?: (err: Error) => void } = {},
  ) {
    this.onInvalid = opts.onInvalid ?? (() => undefined);
    this.reload();
  }

  /** The principal behind a presented key, or null for an unknown, malformed or revoked key. */
  verify(presented: string): Principal | null {
    this.refresh();
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    let record = this.data.keys.find((r) => r.id === match[1]);
    // A key made a moment ago, by `airlock keys create` in another process: look again (a stat).
    if (!record) {
      this.reload();
      record = this.data.keys.find((r) => r.id === match[1]);
    }
    if (!record || record.revokedAt) return null;
    const expected = Buffer.from(record.sha256, 'hex');
    const actual = crypto.createHash('sha256').update(presented).digest();
    return crypto.timingSafeEqual(expected, actual) ? principalFor(record, this.data.tenants) : null;
  }

  list(): KeyRecord[] {
    this.reload();
    return [...this.data.keys];
  }

  /** The powers of every key as they stand, by id. */
  principals(): Principal[] {
    this.reload();
    return this.data.keys.map((r) => principalFor(r, this.data.tenants));
  }

  tenantBinding(tenant: string): Binding | undefined {
    this.reload();
    return this.data.tenants[tenant];
  }

  /** Makes a key for `tenant` (scope `submit` unless told); the key is returned once and only its hash is kept. */
  create(tenant: string, label = '', grant: KeyGrant = {}): { key: string; record: KeyRecord } {
    const id = crypto.randomBytes(8).toString('hex');
    const key = `ak_${id}_${crypto.randomBytes(32).toString('base64url')}`;
    const record = KeyRecord.parse({
      id,
      tenant: TenantName.parse(tenant),
      label,
      sha256: crypto.createHash('sha256').update(key).digest('hex'),
      createdAt: new Date().toISOString(),
      revokedAt: null,
      scopes: grant.scopes ?? ['submit'],
      ...(grant.policies ? { policies: grant.policies } : {}),
      ...(grant.defaultPolicy ? { defaultPolicy: grant.defaultPolicy } : {}),
    });
    this.change((data) => ({ ...data, keys: [...data.keys, record] }));
    return { key, record };
  }

  /** Revokes by key id; false if there is no such key (in `tenant`, when given). */
  revoke(id: string, tenant?: string): boolean {
    let found = false;
    this.change((data) => {
      const record = data.keys.find((r) => r.id === id && (tenant === undefined || r.tenant === tenant));
      found = record !== undefined;
      if (!record || record.revokedAt) return null;
      const revokedAt = new Date().toISOString();
      return { ...data, keys: data.keys.map((r) => (r === record ? { ...r, revokedAt } : r)) };
    });
    return found;
  }

  /** Sets (or, with an empty binding, clears) the policies a tenant's keys may name; its quotas stay. */
  bindTenant(tenant: string, binding: Omit<Binding, 'quotas'>): void {
    this.editTenant(tenant, (current) => ({
      ...(binding.policies ? { policies: binding.policies } : {}),
      ...(binding.defaultPolicy ? { defaultPolicy: binding.defaultPolicy } : {}),
      ...(current?.quotas ? { quotas: current.quotas } : {}),
    }));
  }

  /** Sets (or, with none, clears) a tenant's quotas; its policies stay. */
  setQuotas(tenant: string, quotas: TenantQuotas): void {
    const parsed = TenantQuotas.parse(quotas);
    this.editTenant(tenant, (current) => ({
      ...(current?.policies ? { policies: current.policies } : {}),
      ...(current?.defaultPolicy ? { defaultPolicy: current.defaultPolicy } : {}),
      ...(Object.keys(parsed).length > 0 ? { quotas: parsed } : {}),
    }));
  }

  private editTenant(tenant: string, edit: (current: Binding | undefined) => Binding): void {
    const name = TenantName.parse(tenant);
    this.change((data) => {
      const tenants = { ...data.tenants };
      const next = Binding.parse(edit(tenants[name]));
      if (Object.keys(next).length > 0) tenants[name] = next;
      else delete tenants[name];
      return { ...data, tenants };
    });
  }

  private refresh(): void {
    if (Date.now() - this.checkedAt < 1_000) return;
    this.reload();
  }

  private reload(): void {
    this.checkedAt = Date.now();
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      this.data = { version: 1, keys: [], tenants: {} };
      this.stamp = '';
      return;
    }
    const stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (stamp === this.stamp) return;
    try {
      this.data = readKeysFile(this.file);
    } catch (err) {
      if (!this.loaded) throw err;
      // This version is not read again; the next write to the file is.
      this.stamp = stamp;
      this.onInvalid(err as Error);
      return;
    }
    this.stamp = stamp;
    this.loaded = true;
  }

  /** Read, change and replace the file under its lock; `edit` answers null for no change. */
  private change(edit: (data: KeysFile) => KeysFile | null): void {
    withFileLock(`${this.file}.lock`, () => {
      const current = fs.existsSync(this.file)
        ? readKeysFile(this.file)
        : { version: 1 as const, keys: [], tenants: {} };
      const next = edit(current);
      if (next) writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
    });
    this.stamp = '';
    this.reload();
  }
}

function readKeysFile(file: string): KeysFile {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = KeysFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
