import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { z } from 'zod';
import { STATE_DIR } from './paths';

export const DEFAULT_KEYS_FILE = process.env.AIRLOCK_KEYS_FILE ?? path.join(STATE_DIR, 'keys.json');

const KEY_PATTERN = /^ak_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const KeyRecord = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  label: z.string().default(''),
  /** sha256 of the whole key; the key itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  revokedAt: z.string().nullable().default(null),
});
export type KeyRecord = z.infer<typeof KeyRecord>;

const KeysFile = z.strictObject({ version: z.literal(1), keys: z.array(KeyRecord) });

export interface Principal {
  tenant: string;
  keyId: string;
}

export const TenantName = KeyRecord.shape.tenant;

/**
 * API keys, stored as hashes in one JSON file (mode 0600). Each key belongs to a tenant. The file
 * is re-read when it changes, so keys added or revoked by `airlock keys` take effect on running
 * API processes within a second.
 */
export class ApiKeyStore {
  private records: KeyRecord[] = [];
  private stamp = '';
  private checkedAt = 0;

  constructor(readonly file: string = DEFAULT_KEYS_FILE) {
    this.reload();
  }

  /** The tenant and key id behind a presented key, or null for an unknown, malformed or revoked key. */
  verify(presented: string): Principal | null {
    this.refresh();
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const record = this.records.find((r) => r.id === match[1]);
    if (!record || record.revokedAt) return null;
    const expected = Buffer.from(record.sha256, 'hex');
    const actual = crypto.createHash('sha256').update(presented).digest();
    return crypto.timingSafeEqual(expected, actual) ? { tenant: record.tenant, keyId: record.id } : null;
  }

  list(): KeyRecord[] {
    this.reload();
    return [...this.records];
  }

  /** Makes a key for `tenant`; the key is returned once and only its hash is kept. */
  create(tenant: string, label = ''): { key: string; record: KeyRecord } {
    this.reload();
    const id = crypto.randomBytes(8).toString('hex');
    const key = `ak_${id}_${crypto.randomBytes(32).toString('base64url')}`;
    const record: KeyRecord = {
      id,
      tenant: TenantName.parse(tenant),
      label,
      sha256: crypto.createHash('sha256').update(key).digest('hex'),
      createdAt: new Date().toISOString(),
      revokedAt: null,
    };
    this.write([...this.records, record]);
    return { key, record };
  }

  /** Revokes by key id; false if there is no such key. */
  revoke(id: string): boolean {
    this.reload();
    const record = this.records.find((r) => r.id === id);
    if (!record) return false;
    if (!record.revokedAt) {
      this.write(this.records.map((r) => (r.id === id ? { ...r, revokedAt: new Date().toISOString() } : r)));
    }
    return true;
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
      this.records = [];
      this.stamp = '';
      return;
    }
    const stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (stamp === this.stamp) return;
    const parsed = KeysFile.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${this.file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    this.records = parsed.data.keys;
    this.stamp = stamp;
  }

  /** Atomic replace, owner-only. */
  private write(records: KeyRecord[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, keys: records }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    this.stamp = '';
    this.reload();
  }
}
