/**
 * The deployment's audit signing keys (ed25519): one active, which seals new executions, and the
 * retired ones, kept so older seals still verify. Each key's id is the first 16 hex digits of the
 * sha256 of its public key. `keys.json` holds the public keys; each private key is a file of its
 * own, owner-only, read only by the worker that seals (the orchestration worker).
 *
 *   $AIRLOCK_AUDIT_KEYS_DIR (default .airlock/audit-keys)/keys.json, <id>.key
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { STATE_DIR } from '../paths';
import { PublicAuditKey } from '../../schemas/audit';

export { PublicAuditKey };

export const AUDIT_KEYS_DIR = process.env.AIRLOCK_AUDIT_KEYS_DIR ?? path.join(STATE_DIR, 'audit-keys');

const KeysFile = z.strictObject({ version: z.literal(1), keys: z.array(PublicAuditKey) });

const keyIdOf = (publicKey: crypto.KeyObject) =>
  crypto
    .createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

export class AuditKeyStore {
  constructor(readonly dir: string = AUDIT_KEYS_DIR) {}

  private get file(): string {
    return path.join(this.dir, 'keys.json');
  }

  /** Every key, the active one last. */
  publicKeys(): PublicAuditKey[] {
    if (!fs.existsSync(this.file)) return [];
    const parsed = KeysFile.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    if (!parsed.success) throw new Error(`${this.file}: ${parsed.error.issues[0]!.message}`);
    return parsed.data.keys;
  }

  /** Public keys by id, to verify seals with. */
  verifiers(): Map<string, crypto.KeyObject> {
    return new Map(this.publicKeys().map((k) => [k.id, crypto.createPublicKey(k.publicKey)]));
  }

  /** The key that seals now; made on first use, so a new deployment seals from its first execution. */
  active(): { id: string; privateKey: crypto.KeyObject } {
    const current = this.publicKeys().find((k) => k.retiredAt === null) ?? this.rotate();
    const pem = fs.readFileSync(path.join(this.dir, `${current.id}.key`), 'utf8');
    return { id: current.id, privateKey: crypto.createPrivateKey(pem) };
  }

  /** Makes a new key and makes it the active one; the old one is kept, retired, so its seals verify. */
  rotate(): PublicAuditKey {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const id = keyIdOf(publicKey);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(this.dir, `${id}.key`), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    const now = new Date().toISOString();
    const key: PublicAuditKey = {
      id,
      algorithm: 'ed25519',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      createdAt: now,
      retiredAt: null,
    };
    const keys = [...this.publicKeys().map((k) => (k.retiredAt === null ? { ...k, retiredAt: now } : k)), key];
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`, { mode: 0o644 });
    fs.renameSync(tmp, this.file);
    return key;
  }
}
