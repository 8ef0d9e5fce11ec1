/**
 * A tamper-evident record: every execution's history carries a seal, signed with the deployment's
 * ed25519 key, over each part of its record. An edit to the code, a gate's verdict, a reviewer, the
 * result or its exit code, a dropped event, or a re-signed seal each fails verification, naming
 * what changed; a rotated key leaves earlier seals verifiable.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyEvents } from '../../lib/node/audit/history-events';
import { signSeal, verifySeal, type SealCheck } from '../../lib/node/audit/seal';
import { AuditKeyStore } from '../../lib/node/audit/signing-keys';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { eventually } from '../support/docker';
import { useTestApi } from '../support/api';

const api = useTestApi();
const keys = new AuditKeyStore();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A payload's value in a proto-JSON history (base64 of JSON), and writing one back. */
const read = (payloads: Json) => JSON.parse(Buffer.from(payloads.payloads[0].data, 'base64').toString('utf8'));
const write = (payloads: Json, value: unknown) => {
  payloads.payloads[0].data = Buffer.from(JSON.stringify(value)).toString('base64');
};
const check = (history: Json, verifiers = keys.verifiers()): SealCheck => verifySeal(historyEvents(history), verifiers);

let history: Json;
const copy = () => structuredClone(history);
const eventWith = (h: Json, attr: string, match: (a: Json) => boolean = () => true) =>
  (h.events as Json[]).find((e) => e[attr] && match(e[attr]))![attr] as Json;

beforeAll(async () => {
  // Under strict with a warning, so the history has a gate, an approval, a run and a teardown.
  const submitted = await api.post('/v1/executions', {
    language: 'python',
    policy: 'strict',
    code: 'print(eval("6*7"))',
  });
  const id = submitted.body.id as string;
  await eventually(
    `${id} to await approval`,
    async () => (await api.get(`/v1/executions/${id}`)).body.status === 'awaiting_approval',
  );
  expect((await api.post(`/v1/executions/${id}/approve`, { comment: 'literal' }, api.reviewerKey)).status).toBe(200);
  const result = await eventually(`${id} to finish`, async () => {
    const res = await api.get(`/v1/executions/${id}`);
    return res.body.finishedAt && res.body.seal ? (res.body as ExecutionResult) : undefined;
  });
  expect(result).toMatchObject({ status: 'succeeded', seal: { algorithm: 'ed25519', executionId: id } });
  history = (await api.get(`/v1/executions/${id}/history`)).body as Json;
});

test('the untouched history verifies, every part sealed', () => {
  const sealed = check(history);
  expect(sealed).toMatchObject({ status: 'valid', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
  expect(sealed.status === 'valid' && sealed.fields).toBeGreaterThanOrEqual(10);
});

test('editing the submitted code is named', () => {
  const h = copy();
  const started = eventWith(h, 'workflowExecutionStartedEventAttributes');
  const input = read(started.input);
  input.files[0].content = 'print(42)';
  write(started.input, input);
  expect(check(h)).toEqual({ status: 'invalid', problem: 'input.code differs from what was sealed' });
});

test('editing a gate’s verdict is named', () => {
  const h = copy();
  const analysis = (h.events as Json[]).find(
    (e) =>
      e.activityTaskCompletedEventAttributes &&
      read(e.activityTaskCompletedEventAttributes.result).gate === 'static-analysis',
  )!.activityTaskCompletedEventAttributes;
  write(analysis.result, { ...read(analysis.result), verdict: 'pass', findings: [] });
  expect(check(h)).toEqual({ status: 'invalid', problem: 'gates.static-analysis differs from what was sealed' });
});

test('editing the reviewer is named', () => {
  const h = copy();
  const accepted = eventWith(h, 'workflowExecutionUpdateAcceptedEventAttributes');
  const decision = read(accepted.acceptedRequest.input.args);
  decision.approver.label = 'the CISO';
  write(accepted.acceptedRequest.input.args, decision);
  expect(check(h)).toEqual({ status: 'invalid', problem: 'approvals differs from what was sealed' });
});

test('editing the result, or its exit code, is named', () => {
  for (const edit of [(r: Json) => (r.status = 'rejected'), (r: Json) => (r.run.exitCode = 0 + 7)]) {
    const h = copy();
    const completed = eventWith(h, 'workflowExecutionCompletedEventAttributes');
    const result = read(completed.result);
    edit(result);
    write(completed.result, result);
    expect(check(h)).toEqual({ status: 'invalid', problem: 'result differs from what was sealed' });
  }
});

test('dropping an event is named', () => {
  const h = copy();
  h.events = (h.events as Json[]).filter(
    (e) =>
      !(e.activityTaskCompletedEventAttributes && 'removed' in read(e.activityTaskCompletedEventAttributes.result)),
  );
  expect(check(h)).toEqual({ status: 'invalid', problem: 'teardown differs from what was sealed' });
});

test('a seal recomputed over edited code, without the deployment’s key, does not verify', () => {
  const h = copy();
  const completed = eventWith(h, 'workflowExecutionCompletedEventAttributes');
  const result = read(completed.result);
  // The forger's own key: it signs, but it is not the deployment's.
  const forger = { id: 'f0f0f0f0f0f0f0f0', privateKey: crypto.generateKeyPairSync('ed25519').privateKey };
  result.seal = signSeal(
    { executionId: result.id, fields: result.seal.fields, sealedAt: result.seal.sealedAt },
    forger,
  );
  write(completed.result, result);
  expect(check(h).status).toBe('invalid');
  // With the forger's id but the signature left as it was, the signature no longer verifies.
  const tampered = copy();
  const done = eventWith(tampered, 'workflowExecutionCompletedEventAttributes');
  const r = read(done.result);
  r.seal.fields[0][1] = '0'.repeat(64);
  write(done.result, r);
  const sealing = (tampered.events as Json[]).find(
    (e) => e.activityTaskCompletedEventAttributes && read(e.activityTaskCompletedEventAttributes.result).signature,
  )!.activityTaskCompletedEventAttributes;
  write(sealing.result, r.seal);
  expect(check(tampered)).toMatchObject({ status: 'invalid', problem: expect.stringContaining('does not verify') });
});

test('verifying needs the deployment’s keys: an unknown key fails, a rotated one still verifies', () => {
  expect(check(history, new Map())).toMatchObject({ status: 'invalid', problem: expect.stringContaining('not among') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-audit-keys-'));
  fs.cpSync(keys.dir, dir, { recursive: true });
  const rotated = new AuditKeyStore(dir);
  const before = rotated.active().id;
  rotated.rotate();
  expect(rotated.active().id).not.toBe(before);
  expect(rotated.publicKeys().find((k) => k.id === before)?.retiredAt).not.toBeNull();
  expect(check(history, rotated.verifiers()).status).toBe('valid');
});
