/**
 * Encryption of everything Airlock writes to Temporal: workflow and activity inputs and results,
 * update and query payloads, memos and heartbeats pass through this codec, so code, env values and
 * outputs are ciphertext in Temporal's history and database. AES-256-GCM with a fresh 96-bit IV per
 * payload; the key's id rides in the payload's metadata (and is authenticated), so keys rotate
 * without re-encrypting what is already stored. Payloads without that encoding pass through: a
 * history written before encryption was on still reads.
 */
import crypto from 'node:crypto';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadKeyStore } from './payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const CIPHER_NAME = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : '');

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(
    private readonly keys: PayloadKeyStore,
    /** Off: payloads are written in the clear (older ciphertext still decrypts). */
    private readonly encrypt = true,
  ) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    if (!this.encrypt) return Promise.resolve(payloads);
    const { id, key } = this.keys.active();
    return Promise.resolve(payloads.map((p) => (isEncrypted(p) ? p : seal(p, id, key))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return Promise.resolve(payloads.map((p) => (isEncrypted(p) ? this.open(p) : p)));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private open(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID]);
    const cipher = text(payload.metadata?.[CIPHER]);
    if (cipher !== CIPHER_NAME) throw new Error(`payload encrypted with "${cipher}", not ${CIPHER_NAME}`);
    const key = this.keys.byId(id);
    if (!key) throw new Error(`payload encrypted with key ${id}, which is not in ${this.keys.file}`);
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`payload under key ${id} is truncated`);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`payload under key ${id} does not decrypt: it was altered`);
    }
    return temporal.api.common.v1.Payload.decode(plain) as Payload;
  }
}

function seal(payload: Payload, id: string, key: Buffer): Payload {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(id));
  const body = Buffer.concat([cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final()]);
  return {
    metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID]: utf8(id), [CIPHER]: utf8(CIPHER_NAME) },
    data: Buffer.concat([iv, body, cipher.getAuthTag()]),
  };
}

export function encryptionOn(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`AIRLOCK_PAYLOAD_ENCRYPTION must be true or false, got "${raw}"`);
}

let shared: { file: string; encrypt: boolean; codec: AesGcmPayloadCodec } | undefined;

/**
 * This process's codec, as the environment sets it: AIRLOCK_PAYLOAD_ENCRYPTION (default true) and
 * AIRLOCK_PAYLOAD_KEYS_FILE. Every client and worker of a process shares it.
 */
export function payloadCodec(): AesGcmPayloadCodec {
  const encrypt = encryptionOn(process.env.AIRLOCK_PAYLOAD_ENCRYPTION);
  const store = new PayloadKeyStore(process.env.AIRLOCK_PAYLOAD_KEYS_FILE || undefined);
  if (shared?.file !== store.file || shared.encrypt !== encrypt)
    shared = { file: store.file, encrypt, codec: new AesGcmPayloadCodec(store, encrypt) };
  return shared.codec;
}

type Node = Record<string, unknown>;

/**
 * Every object in a proto message tree (events, failures, headers, memos) that `matches`; below a
 * match the walk goes on only when `nested` says a match may hold others.
 */
function collect(node: unknown, matches: (obj: Node) => boolean, nested: boolean, found: Node[] = []): Node[] {
  if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return found;
  if (Array.isArray(node)) {
    for (const item of node) collect(item, matches, nested, found);
    return found;
  }
  const obj = node as Node;
  const hit = matches(obj);
  if (hit) found.push(obj);
  if (!hit || nested) for (const value of Object.values(obj)) collect(value, matches, nested, found);
  return found;
}

const isEncryptedNode = (obj: Node) =>
  !!obj.metadata && typeof obj.metadata === 'object' && isEncrypted(obj as Payload);
/** A failure whose message and stack trace were moved into its encoded attributes (lib/failure-converter.ts); its cause may be another. */
const hasEncodedAttributes = (obj: Node) => !!obj.encodedAttributes && typeof obj.encodedAttributes === 'object';

/**
 * A history (proto form) with every payload decrypted in place, and each failure's message and
 * stack trace back where they were: what the audit report, the seal, replay and the API's history
 * export read. A history in the clear is returned unchanged.
 */
export async function decodeHistory<T extends object>(history: T, codec: PayloadCodec = payloadCodec()): Promise<T> {
  const payloads = collect(history, isEncryptedNode, false);
  if (payloads.length > 0) {
    const decoded = await codec.decode(payloads as Payload[]);
    payloads.forEach((p, i) => {
      p.metadata = decoded[i]!.metadata;
      p.data = decoded[i]!.data;
    });
  }
  for (const failure of collect(history, hasEncodedAttributes, true)) {
    const attributes = failure.encodedAttributes as Payload;
    if (isEncrypted(attributes)) continue;
    const { message, stack_trace } = defaultPayloadConverter.fromPayload<{ message?: string; stack_trace?: string }>(
      attributes,
    );
    failure.message = message ?? '';
    failure.stackTrace = stack_trace ?? '';
    delete failure.encodedAttributes;
  }
  return history;
}
