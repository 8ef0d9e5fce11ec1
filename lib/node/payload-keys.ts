/**
 * The deployment's payload keys (AES-256): one active, which encrypts what is written to Temporal
 * from now on, and the older ones, kept so what they encrypted still decrypts. Every process that
 * talks to Temporal (API, workers, pool manager, the CLI's offline audit) reads the same file; in a
 * cluster it is a secret mounted on each of them. Made on first use, so the embedded default
 * encrypts from its first execution.
 *
 *   $AIRLOCK_PAYLOAD_KEYS_FILE (default .airlock/payload-keys.json), mode 0600
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { STATE_DIR } from './paths';
import { withFileLock, writeFileAtomic } from './locked-file';

export const DEFAULT_PAYLOAD_KEYS_FILE = path.join(STATE_DIR, 'payload-keys.json');

const PayloadKey = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  /** 32 bytes, base64. */
  key: z.string().refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes of base64'),
  createdAt: z.string(),
});
type PayloadKey = z.infer<typeof PayloadKey>;

const PayloadKeysFile = z
  .strictObject({ version: z.literal(1), active: z.string(), keys: z.array(PayloadKey).min(1) })
  .refine((f) => f.keys.some((k) => k.id === f.active), { message: 'active names no key in keys', path: ['active'] });
type PayloadKeysFile = z.infer<typeof PayloadKeysFile>;

/** What a caller may know of a key: never its bytes. */
export interface PayloadKeyInfo {
  id: string;
  createdAt: string;
  active: boolean;
}

/** A key's id names it in each ciphertext's metadata; derived from the key, so two files never disagree on it. */
const keyIdOf = (key: Buffer) =>
  crypto.createHash('sha256').update('airlock-payload-key:').update(key).digest('hex').slice(0, 16);

export class PayloadKeyStore {
  private data: PayloadKeysFile | undefined;
  private stamp = '';

  constructor(readonly file: string = process.env.AIRLOCK_PAYLOAD_KEYS_FILE || DEFAULT_PAYLOAD_KEYS_FILE) {}

  /** The key that encrypts now, made (once, whoever asks first) when the file does not exist. */
  active(): { id: string; key: Buffer } {
    const data = this.load() ?? this.create();
    return this.keyOf(data, data.active)!;
  }

  /** A key by id, re-reading the file once when it is not known: another process may have rotated. */
  byId(id: string): Buffer | undefined {
    const known = this.data && this.keyOf(this.data, id);
    if (known) return known.key;
    const fresh = this.load();
    return fresh ? this.keyOf(fresh, id)?.key : undefined;
  }

  list(): PayloadKeyInfo[] {
    const data = this.load();
    return (data?.keys ?? []).map((k) => ({ id: k.id, createdAt: k.createdAt, active: k.id === data!.active }));
  }

  /** A new key encrypts from now on; the older ones stay, so what they encrypted still decrypts. */
  rotate(): PayloadKeyInfo {
    const added = withFileLock(`${this.file}.lock`, () => {
      const current = this.readFile();
      const key = newKey();
      const next: PayloadKeysFile = { version: 1, active: key.id, keys: [...(current?.keys ?? []), key] };
      writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
      return key;
    });
    this.stamp = '';
    this.load();
    return { id: added.id, createdAt: added.createdAt, active: true };
  }

  private create(): PayloadKeysFile {
    withFileLock(`${this.file}.lock`, () => {
      if (this.readFile()) return;
      const key = newKey();
      writeFileAtomic(this.file, `${JSON.stringify({ version: 1, active: key.id, keys: [key] }, null, 2)}\n`);
    });
    this.stamp = '';
    return this.load()!;
  }

  private keyOf(data: PayloadKeysFile, id: string): { id: string; key: Buffer } | undefined {
    const found = data.keys.find((k) => k.id === id);
    return found ? { id: found.id, key: Buffer.from(found.key, 'base64') } : undefined;
  }

  /** The file as it stands (a stat when unchanged); undefined when there is none. */
  private load(): PayloadKeysFile | undefined {
    const stat = fs.statSync(this.file, { throwIfNoEntry: false });
    if (!stat) return undefined;
    const stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (stamp !== this.stamp) {
      this.data = this.readFile();
      this.stamp = stamp;
    }
    return this.data;
  }

  private readFile(): PayloadKeysFile | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${this.file}: not valid JSON (${(err as Error).message})`);
    }
    const parsed = PayloadKeysFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${this.file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    for (const k of parsed.data.keys) {
      if (keyIdOf(Buffer.from(k.key, 'base64')) !== k.id)
        throw new Error(`${this.file}: key ${k.id}: id does not match`);
    }
    return parsed.data;
  }
}

function newKey(): PayloadKey {
  const key = crypto.randomBytes(32);
  return { id: keyIdOf(key), key: key.toString('base64'), createdAt: new Date().toISOString() };
}
