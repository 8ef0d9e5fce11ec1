import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { auditReport, codeDigest } from '../../lib/node/audit/timeline';
import { historyEvents } from '../../lib/node/audit/history-events';
import { verifySeal } from '../../lib/node/audit/seal';

const history = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'histories', `${name}.json`), 'utf8'));

describe('audit report from a recorded history', () => {
  test('a run that passed: submitter, code, policy, image, result and confirmed teardown', () => {
    const report = auditReport(history('succeeded-with-tests'));
    expect(report.submitter.tenant).toBe('default');
    expect(report.submitter.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(report.code.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.code.files.map((f) => f.path)).toEqual(['main.py', 'test_x.py']);
    expect(report.policy).toMatchObject({ name: 'default', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(report.image).toMatchObject({ tag: 'airlock/python:latest', id: expect.stringMatching(/^sha256:/) });
    expect(report.result?.status).toBe('succeeded');
    expect(report.teardown).toEqual({ confirmed: true, detail: 'container removed' });
    expect(report.timeline.map((t) => t.what)).toEqual(
      expect.arrayContaining([
        'submitted',
        'policy gate',
        'secrets gate',
        'provisioned',
        'ran',
        'tests',
        'teardown',
        'finished',
      ]),
    );
  });

  test('an execution that waited for its tenant lease: queued, admitted, and released after teardown', () => {
    const report = auditReport(history('queued-for-lease'));
    const steps = report.timeline.map((t) => t.what);
    expect(
      steps.filter((w) => ['queued', 'admitted', 'policy gate', 'teardown', 'lease released'].includes(w)),
    ).toEqual(['queued', 'admitted', 'policy gate', 'teardown', 'lease released']);
    expect(report.timeline.find((t) => t.what === 'queued')!.detail).toContain("tenant default's quota");
    expect(report.result?.status).toBe('succeeded');
  });

  test('a newer history, whose gate and checks ran as local activities (markers), reports the same decisions', () => {
    const report = auditReport(history('streamed-output'));
    expect(report.policy).toMatchObject({ name: 'default', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(report.gates.map((g) => [g.gate, g.verdict])).toEqual([
      ['secrets', 'pass'],
      ['imports', 'pass'],
      ['output', 'pass'],
    ]);
    expect(report.timeline.map((t) => t.what)).toEqual(
      expect.arrayContaining(['policy gate', 'secrets gate', 'imports gate', 'ran', 'finished']),
    );
  });

  test('a blocked execution: every gate decision and its findings', () => {
    const report = auditReport(history('gate-blocked'));
    expect(report.policy?.name).toBe('strict');
    const gates = Object.fromEntries(report.gates.map((g) => [g.gate, [g.verdict, g.findings.map((f) => f.ruleId)]]));
    expect(gates.secrets).toEqual(['block', ['aws-access-key-id']]);
    expect(gates.imports).toEqual(['block', ['imports/subprocess']]);
    expect(report.result).toMatchObject({ status: 'rejected', error: expect.stringMatching(/^GateBlocked/) });
    expect(report.image).toBeNull();
    expect(report.teardown.confirmed).toBe(false);
  });

  test('an approval recorded before approvers were keys: the reviewer text and key id it had', () => {
    const report = auditReport(history('approved-after-warning'));
    expect(report.approvals).toEqual([
      {
        decision: 'approved',
        reviewer: 'fixture-reviewer',
        comment: 'literal eval',
        keyId: expect.any(String),
        tenant: null,
        at: expect.any(String),
      },
    ]);
    expect(report.gates.find((g) => g.gate === 'static-analysis')?.verdict).toBe('warn');
    expect(report.result?.status).toBe('succeeded');
  });

  test('the code digest covers every file by path and content', () => {
    const a = codeDigest([{ path: 'a.py', content: 'x', encoding: 'utf8' }]);
    const b = codeDigest([{ path: 'a.py', content: 'y', encoding: 'utf8' }]);
    const c = codeDigest([{ path: 'b.py', content: 'x', encoding: 'utf8' }]);
    expect(new Set([a.sha256, b.sha256, c.sha256]).size).toBe(3);
  });

  test('something that is not an execution history is refused', () => {
    expect(() => auditReport({ events: [] })).toThrow();
  });
});

describe('the seal of a recorded history', () => {
  const keys = () => {
    const { keys: list } = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'audit-keys.json'), 'utf8'),
    ) as { keys: Array<{ id: string; publicKey: string }> };
    return new Map(list.map((k) => [k.id, crypto.createPublicKey(k.publicKey)]));
  };

  test('verifies offline with the deployment’s public keys, and names the approving key', () => {
    const recorded = history('approved-by-key-sealed');
    expect(verifySeal(historyEvents(recorded), keys())).toMatchObject({ status: 'valid', fields: 11 });
    expect(auditReport(recorded).approvals).toEqual([
      expect.objectContaining({ decision: 'approved', reviewer: 'fixture reviewer', tenant: 'default' }),
    ]);
  });

  test('histories from before seals are reported unsealed, not valid', () => {
    expect(verifySeal(historyEvents(history('approved-after-warning')), keys())).toEqual({
      status: 'unsealed',
      reason: 'recorded before executions were sealed',
    });
  });
});
