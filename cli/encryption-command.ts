import { PayloadKeyStore, type PayloadKeyInfo } from '../lib/node/payload-keys';

/** `airlock encryption ...`: the payload keys, run where the file is (operator commands; see docs/deployment.md). */
export interface EncryptionOptions {
  file?: string;
}

const storeOf = (opts: EncryptionOptions) => new PayloadKeyStore(opts.file);
const line = (k: PayloadKeyInfo) => `${k.id}  created ${k.createdAt}  ${k.active ? 'active' : 'decrypts only'}\n`;

/** `airlock encryption keys`: ids and dates, never the keys. */
export function encryptionKeys(opts: EncryptionOptions): void {
  const keys = storeOf(opts).list();
  if (keys.length === 0)
    process.stdout.write(`no payload keys in ${storeOf(opts).file} (\`airlock encryption init\`)\n`);
  for (const k of keys) process.stdout.write(line(k));
}

/** `airlock encryption init`: the first key, when there is none (for a secret every process mounts). */
export function encryptionInit(opts: EncryptionOptions): void {
  const store = storeOf(opts);
  const before = store.list().length;
  const { id } = store.active();
  process.stdout.write(
    before ? `${store.file} already holds keys; ${id} is active\n` : `made key ${id} in ${store.file}\n`,
  );
}

/** `airlock encryption rotate`: a new key encrypts from now on; the old ones stay, so stored payloads still decrypt. */
export function encryptionRotate(opts: EncryptionOptions): void {
  const key = storeOf(opts).rotate();
  process.stdout.write(
    `${key.id}  active from ${key.createdAt}; older keys stay, so what they encrypted still decrypts\n`,
  );
}
