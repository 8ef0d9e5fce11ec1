/**
 * Payload encryption through the real pipeline: what Temporal stores of an execution (its history
 * as the frontend serves it, and the server's database file) holds no byte of the submitted code,
 * its env values, stdin or output, while the decrypted history still carries them all, its seal
 * verifies and it replays. Older, unencrypted fixtures replaying is test/unit/replay.test.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import request from 'supertest';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { TEST_DIR, readTestEnv } from '../support/test-env';
import { decodeHistory, isEncrypted } from '../../lib/node/payload-codec';
import { historyEvents } from '../../lib/node/audit/history-events';
import { verifySeal } from '../../lib/node/audit/seal';
import { AuditKeyStore } from '../../lib/node/audit/signing-keys';
import { replayAgainstCurrentCode } from '../../workers/replay';
import type { Payload } from '@temporalio/common';
import { PROJECT_ROOT } from '../../lib/node/paths';

const run = promisify(execFile);

let cluster: TestCluster;
let api: TestApi;
beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

/** The history exactly as the frontend serves it, encoded back to the bytes it sent. */
async function rawHistory(executionId: string): Promise<{ bytes: Buffer; history: temporal.api.history.v1.IHistory }> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await cluster.connection.workflowService.getWorkflowExecutionHistory({
      namespace: readTestEnv().namespace,
      execution: { workflowId: executionId },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const history = { events };
  return { history, bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()) };
}

/** Every payload-shaped object in a history, with where it sits. */
function payloadsOf(node: unknown, at = '', out: Array<{ at: string; payload: Payload }> = []) {
  if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return out;
  if (Array.isArray(node)) node.forEach((n, i) => payloadsOf(n, `${at}.${i}`, out));
  else if ('metadata' in node && 'data' in node) out.push({ at, payload: node as Payload });
  else for (const [k, v] of Object.entries(node)) payloadsOf(v, `${at}.${k}`, out);
  return out;
}

/**
 * What the server and the SDK's core write for themselves, never through a codec: search
 * attributes (indexed, so readable by design: docs/security.md lists them), and a marker's own
 * bookkeeping (a patch's id, a local activity's type and timing; its result is encrypted).
 */
const IN_THE_CLEAR =
  /\.(searchAttributes|upsertWorkflowSearchAttributesEventAttributes)\.|\.markerRecordedEventAttributes\.details\.(patch-data|data)\.payloads\.0$/;

test('Temporal holds an execution as ciphertext; decrypted, it is whole, sealed and replayable', async () => {
  const mark = crypto.randomBytes(8).toString('hex');
  const secrets = {
    code: `code-${mark}`,
    env: `env-${mark}`,
    stdin: `stdin-${mark}`,
    // Made by the program, so these bytes are nowhere in what was submitted.
    output: `output-${mark}`,
  };
  const result = await cluster.run({
    language: 'python',
    code: `import os, sys\n# ${secrets.code}\nprint("${[...secrets.output].reverse().join('')}"[::-1])\nprint(os.environ["PROBE"], sys.stdin.read(), file=sys.stderr)`,
    env: { PROBE: secrets.env },
    stdin: secrets.stdin,
  });
  expect(result.status).toBe('succeeded');
  expect(result.run?.stdout).toBe(`${secrets.output}\n`);
  expect(result.run?.stderr).toBe(`${secrets.env} ${secrets.stdin}\n`);

  const { bytes, history } = await rawHistory(result.id);
  for (const [what, secret] of Object.entries(secrets)) {
    expect({ what, inRawHistory: bytes.includes(Buffer.from(secret)) }).toEqual({ what, inRawHistory: false });
  }
  // Every payload is ciphertext, under the deployment's key (no payload was left in the clear).
  const payloads = payloadsOf(history.events);
  expect(payloads.filter((p) => isEncrypted(p.payload)).length).toBeGreaterThan(10);
  expect(payloads.filter((p) => !isEncrypted(p.payload) && !IN_THE_CLEAR.test(p.at)).map((p) => p.at)).toEqual([]);

  // At rest: the server's SQLite file (and its write-ahead log) holds none of it either.
  const dbFiles = ['temporal.db', 'temporal.db-wal'].map((f) => path.join(TEST_DIR, f)).filter((f) => fs.existsSync(f));
  expect(dbFiles.length).toBeGreaterThan(0);
  const stored = Buffer.concat(dbFiles.map((f) => fs.readFileSync(f)));
  expect(stored.includes(Buffer.from(result.id))).toBe(true);
  for (const [what, secret] of Object.entries(secrets)) {
    expect({ what, inDatabase: stored.includes(Buffer.from(secret)) }).toEqual({ what, inDatabase: false });
  }

  // Decrypted, as the API and `airlock audit` read it: every secret is back, the seal holds, it replays.
  const clear = historyToJSON(await decodeHistory(history));
  const clearBytes = Buffer.from(
    temporal.api.history.v1.History.encode({ events: historyEvents(JSON.parse(clear)) }).finish(),
  );
  for (const secret of Object.values(secrets)) expect(clearBytes.includes(Buffer.from(secret))).toBe(true);
  expect(verifySeal(historyEvents(JSON.parse(clear)), new AuditKeyStore().verifiers())).toMatchObject({
    status: 'valid',
  });
  await replayAgainstCurrentCode(JSON.parse(clear), result.id);

  // `airlock audit verify` on the history straight from Temporal: it decrypts where the keys are,
  // and where they are not it says so rather than misreading ciphertext.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-encrypted-'));
  const exported = path.join(dir, 'history.json');
  const keys = path.join(dir, 'audit-keys.json');
  fs.writeFileSync(keys, JSON.stringify({ keys: new AuditKeyStore().publicKeys() }));
  const cli = path.join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
  // The history is decrypted in place above: export it again as Temporal serves it.
  fs.writeFileSync(exported, historyToJSON((await rawHistory(result.id)).history as temporal.api.history.v1.History));
  expect(fs.readFileSync(exported, 'utf8')).toContain('YmluYXJ5L2VuY3J5cHRlZA==');
  const verified = await run(process.execPath, [cli, 'audit', 'verify', exported, '--keys', keys]);
  expect(verified.stdout).toMatch(/seal\s+valid/);
  const elsewhere = await run(process.execPath, [cli, 'audit', 'verify', exported, '--keys', keys], {
    env: { ...process.env, AIRLOCK_PAYLOAD_KEYS_FILE: path.join(dir, 'no-keys-here.json') },
  }).catch((err: { code: number; stderr: string }) => err);
  expect(elsewhere).toMatchObject({ code: 125 });
  expect((elsewhere as { stderr: string }).stderr).toContain('the history is encrypted and cannot be read here');
});

test('a failure that names what the tenant sent is ciphertext too, and reads whole decrypted', async () => {
  const auth = { authorization: `Bearer ${api.key}` };
  const created = await request(api.app).post('/v1/sandboxes').set(auth).send({ language: 'python' });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // The path a tenant chose, in the message of the step that failed on it.
  const secretPath = `missing-${crypto.randomBytes(8).toString('hex')}.txt`;
  const read = await request(api.app).get(`/v1/sandboxes/${id}/files`).query({ path: secretPath }).set(auth);
  expect(read.status).toBe(404);
  expect(read.body.error.message).toContain(secretPath);
  await request(api.app).delete(`/v1/sandboxes/${id}`).set(auth).expect(200);

  const { bytes, history } = await rawHistory(id);
  const failed = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
  expect(failed.length).toBeGreaterThan(0);
  expect(bytes.includes(Buffer.from(secretPath))).toBe(false);
  const clear = await decodeHistory(history);
  const messages = (clear.events ?? []).flatMap((e) => e.activityTaskFailedEventAttributes?.failure?.message ?? []);
  expect(messages).toContain(`${secretPath} does not exist`);
});
