/**
 * The payload codec and its keys: what it writes holds none of the plaintext, reads back whole,
 * names the key it used, refuses what was altered, and keeps reading what older keys (or no key)
 * wrote after a rotation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec, decodeHistory, encryptionOn, isEncrypted } from '../../lib/node/payload-codec';
import { PayloadKeyStore } from '../../lib/node/payload-keys';
import { PROJECT_ROOT } from '../../lib/node/paths';

const run = promisify(execFile);
let file: string;
beforeEach(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-payload-keys-')), 'payload-keys.json');
});

const SECRET = 'print("the submitted code, 7c1e")';
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const bytesOf = (p: Payload) => Buffer.from(temporal.api.common.v1.Payload.encode(p).finish());
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p);

test('an encoded payload holds no byte of its plaintext, names its key, and decodes to the same value', async () => {
  const codec = new AesGcmPayloadCodec(new PayloadKeyStore(file));
  const [encoded] = await codec.encode([plain({ code: SECRET })]);
  expect(isEncrypted(encoded!)).toBe(true);
  expect(bytesOf(encoded!).includes(Buffer.from('7c1e'))).toBe(false);
  expect(bytesOf(encoded!).includes(Buffer.from('json/plain'))).toBe(false);
  const keyId = Buffer.from(encoded!.metadata!['encryption-key-id']!).toString();
  expect(keyId).toBe(new PayloadKeyStore(file).list()[0]!.id);
  const [decoded] = await codec.decode([encoded!]);
  expect(value(decoded!)).toEqual({ code: SECRET });
});

test('the same value encrypts differently each time (a fresh IV per payload)', async () => {
  const codec = new AesGcmPayloadCodec(new PayloadKeyStore(file));
  const [a, b] = await codec.encode([plain('same'), plain('same')]);
  expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
});

test('an altered ciphertext, or one whose key id was swapped, is refused, not misread', async () => {
  const store = new PayloadKeyStore(file);
  const codec = new AesGcmPayloadCodec(store);
  const [encoded] = await codec.encode([plain('x')]);
  const flipped = Buffer.from(encoded!.data!);
  flipped[20] = flipped[20]! ^ 1;
  await expect(codec.decode([{ ...encoded!, data: flipped }])).rejects.toThrow(/does not decrypt: it was altered/);
  const oldId = Buffer.from(encoded!.metadata!['encryption-key-id']!).toString();
  store.rotate();
  const [other] = await codec.encode([plain('y')]);
  // The old ciphertext claimed under the new key: the key id is authenticated too.
  const swapped = {
    ...encoded!,
    metadata: { ...encoded!.metadata, 'encryption-key-id': other!.metadata!['encryption-key-id']! },
  };
  await expect(codec.decode([swapped])).rejects.toThrow(/does not decrypt/);
  await expect(
    codec.decode([
      { ...encoded!, metadata: { ...encoded!.metadata, 'encryption-key-id': Buffer.from('0000000000000000') } },
    ]),
  ).rejects.toThrow(`key 0000000000000000, which is not in ${file}`);
  expect((await codec.decode([encoded!])).map(value)).toEqual(['x']);
  expect(oldId).not.toBe(Buffer.from(other!.metadata!['encryption-key-id']!).toString());
});

test('after a rotation new payloads use the new key, and what the old key wrote still decodes', async () => {
  const codec = new AesGcmPayloadCodec(new PayloadKeyStore(file));
  const [before] = await codec.encode([plain('before')]);
  // Another process rotates: this one picks the new key up from the file.
  const rotated = new PayloadKeyStore(file).rotate();
  const [after] = await codec.encode([plain('after')]);
  expect(Buffer.from(after!.metadata!['encryption-key-id']!).toString()).toBe(rotated.id);
  expect((await codec.decode([before!, after!])).map(value)).toEqual(['before', 'after']);
  expect(new PayloadKeyStore(file).list().map((k) => k.active)).toEqual([false, true]);
});

test('payloads written in the clear (before encryption was on) pass through; with encryption off nothing is encrypted', async () => {
  const codec = new AesGcmPayloadCodec(new PayloadKeyStore(file), false);
  const [out] = await codec.encode([plain('clear')]);
  expect(isEncrypted(out!)).toBe(false);
  expect(fs.existsSync(file)).toBe(false);
  expect((await codec.decode([plain('old')])).map(value)).toEqual(['old']);
  expect(encryptionOn('false')).toBe(false);
  expect(encryptionOn(undefined)).toBe(true);
  expect(() => encryptionOn('yes')).toThrow('AIRLOCK_PAYLOAD_ENCRYPTION must be true or false, got "yes"');
});

test('the keys file is owner-only, and a broken one is an error that names it', () => {
  new PayloadKeyStore(file).active();
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  fs.writeFileSync(file, '{"version":1,"active":"abc","keys":[]}');
  expect(() => new PayloadKeyStore(file).active()).toThrow(`${file}: keys: `);
  fs.writeFileSync(file, '{');
  expect(() => new PayloadKeyStore(file).active()).toThrow(`${file}: not valid JSON`);
});

test('processes starting at once agree on one first key (it is made under a lock)', async () => {
  const compiled = path.join(PROJECT_ROOT, 'dist', 'lib', 'node', 'payload-keys.js');
  const script = `
    const { PayloadKeyStore } = require(${JSON.stringify(compiled)});
    process.stdout.write(new PayloadKeyStore(process.argv[1]).active().id);
  `;
  const ids = await Promise.all([1, 2, 3, 4].map(() => run(process.execPath, ['-e', script, file])));
  expect(new Set(ids.map((r) => r.stdout)).size).toBe(1);
  expect(new PayloadKeyStore(file).list()).toHaveLength(1);
});

test('decodeHistory decrypts every payload of a history wherever it sits, and leaves the rest alone', async () => {
  const codec = new AesGcmPayloadCodec(new PayloadKeyStore(file));
  const [input, memo, result] = await codec.encode([plain({ code: SECRET }), plain('memo'), plain('done')]);
  const history = {
    events: [
      {
        eventId: 1,
        workflowExecutionStartedEventAttributes: { input: { payloads: [input] }, memo: { fields: { m: memo } } },
      },
      { eventId: 2, activityTaskCompletedEventAttributes: { result: { payloads: [result] } } },
      { eventId: 3, workflowTaskCompletedEventAttributes: { identity: 'w' } },
    ],
  };
  await decodeHistory(history, codec);
  const [started, completed, untouched] = history.events;
  expect(value(started!.workflowExecutionStartedEventAttributes!.input.payloads[0]!)).toEqual({ code: SECRET });
  expect(value(started!.workflowExecutionStartedEventAttributes!.memo.fields.m!)).toBe('memo');
  expect(value(completed!.activityTaskCompletedEventAttributes!.result.payloads[0]!)).toBe('done');
  expect(untouched).toEqual({ eventId: 3, workflowTaskCompletedEventAttributes: { identity: 'w' } });
});

test('`airlock encryption` makes the first key once, rotates, and lists ids, never keys', async () => {
  const cli = (...args: string[]) =>
    run(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'cli', 'main.js'), 'encryption', '--file', file, ...args]);
  expect((await cli('keys')).stdout).toContain('no payload keys');
  const made = (await cli('init')).stdout;
  const first = /made key ([0-9a-f]{16})/.exec(made)![1]!;
  expect((await cli('init')).stdout).toContain(`already holds keys; ${first} is active`);
  const second = /^([0-9a-f]{16}) {2}active from/.exec((await cli('rotate')).stdout)![1]!;
  const listed = (await cli('keys')).stdout;
  expect(listed).toMatch(new RegExp(`^${first} .*decrypts only\\n${second} .*active\\n$`));
  for (const k of JSON.parse(fs.readFileSync(file, 'utf8')).keys as Array<{ key: string }>)
    expect(listed).not.toContain(k.key);
});
