/**
 * The HTTP side of gates, approvals, reports, audit history and listing, on a real cluster.
 */
import { auditReport } from '../../lib/node/audit/timeline';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { eventually } from '../support/docker';
import { useTestApi } from '../support/api';
import { junitErrors, sarifErrors } from '../support/schemas';

const api = useTestApi();
const { get } = api;
const submit = (body: object, key?: string) => api.post('/v1/executions', body, key);
const decide = (id: string, action: 'approve' | 'reject', body: object, key?: string) =>
  api.post(`/v1/executions/${id}/${action}`, body, key);

async function finished(id: string, key?: string): Promise<ExecutionResult> {
  return eventually(
    `execution ${id} to finish`,
    async () => {
      const res = await get(`/v1/executions/${id}`, key);
      return res.body.finishedAt ? (res.body as ExecutionResult) : undefined;
    },
    60_000,
  );
}

/** `eval` makes bandit warn, and `strict` asks a reviewer when a gate warns. */
async function awaitingApproval(): Promise<string> {
  const res = await submit({ language: 'python', policy: 'strict', code: 'print(eval("6*7"))' });
  expect(res.status).toBe(202);
  await eventually(`execution ${res.body.id} to await approval`, async () => {
    const state = await get(`/v1/executions/${res.body.id}`);
    return state.body.status === 'awaiting_approval';
  });
  return res.body.id as string;
}

describe('approve and reject', () => {
  const keyIdOf = (key: string) => key.split('_')[1]!;

  test('a reviewer key approves a waiting execution; the approver is the key, in the result and its history', async () => {
    const id = await awaitingApproval();
    // Another tenant's reviewer cannot see it, so cannot decide on it.
    const elsewhere = api.keys.create('other-tenant', 'mallory', { scopes: ['approve'] }).key;
    expect((await decide(id, 'approve', {}, elsewhere)).status).toBe(404);

    const approved = await decide(id, 'approve', { comment: 'eval of a literal' }, api.reviewerKey);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      id,
      approval: {
        decision: 'approved',
        required: 1,
        reviewer: 'alice',
        reviewerKeyId: keyIdOf(api.reviewerKey),
        comment: 'eval of a literal',
        decisions: [
          {
            decision: 'approve',
            approver: { keyId: keyIdOf(api.reviewerKey), tenant: 'default', label: 'alice' },
            comment: 'eval of a literal',
          },
        ],
      },
    });
    const again = await decide(id, 'reject', {}, api.secondReviewerKey);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_awaiting_approval');

    const result = await finished(id);
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('42\n');
    const history = await get(`/v1/executions/${id}/history`);
    expect(history.status).toBe(200);
    expect(auditReport(history.body).approvals).toEqual([
      expect.objectContaining({
        decision: 'approved',
        reviewer: 'alice',
        keyId: keyIdOf(api.reviewerKey),
        tenant: 'default',
        comment: 'eval of a literal',
      }),
    ]);
  });

  test('the submitting key cannot approve its own execution, even with the approve scope', async () => {
    // A key that may both submit and approve, as an agent given too much would hold.
    const both = api.keys.create('default', 'agent with both', { scopes: ['submit', 'approve'] }).key;
    const res = await submit({ language: 'python', policy: 'strict', code: 'print(eval("6*7"))' }, both);
    const id = res.body.id as string;
    await eventually(
      `${id} to await approval`,
      async () => (await get(`/v1/executions/${id}`)).body.status === 'awaiting_approval',
    );
    const self = await decide(id, 'approve', { reviewer: 'a trusted human, honestly' }, both);
    expect(self.status).toBe(403);
    expect(self.body.error).toMatchObject({ code: 'self_approval' });
    expect(self.body.error.message).toContain(`key ${keyIdOf(both)} submitted this execution`);
    const selfReject = await decide(id, 'reject', {}, both);
    expect(selfReject.status).toBe(403);
    // A key without the approve scope is refused before the workflow is asked.
    const agent = await decide(id, 'approve', {}, api.key);
    expect(agent.status).toBe(403);
    expect(agent.body.error.code).toBe('forbidden');
    // Still waiting: none of those reached the history.
    expect((await get(`/v1/executions/${id}`)).body.status).toBe('awaiting_approval');
    expect((await decide(id, 'reject', { comment: 'not by its author' }, api.reviewerKey)).status).toBe(200);
    expect((await finished(id)).status).toBe('rejected');
  });

  test('free text cannot pose as the approver: `reviewer` is kept only in the comment', async () => {
    const id = await awaitingApproval();
    const res = await decide(id, 'approve', { reviewer: 'the CISO', comment: 'ok' }, api.reviewerKey);
    expect(res.body.approval).toMatchObject({ reviewer: 'alice', comment: 'reviewer: the CISO; ok' });
  });

  test('a comment the workflow would not record is a 400 naming it, not a 409 on a waiting execution', async () => {
    const id = await awaitingApproval();
    // Each field within its own bound, but with the reviewer's text over the recorded comment's.
    const long = await decide(id, 'approve', { reviewer: 'r'.repeat(200), comment: 'x'.repeat(2000) }, api.reviewerKey);
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: 'invalid_request', field: 'comment' });
    expect((await get(`/v1/executions/${id}`)).body.status).toBe('awaiting_approval');
    expect((await decide(id, 'reject', { comment: 'x'.repeat(2000) }, api.reviewerKey)).status).toBe(200);
  });

  test('a reviewer key cannot submit code, and an approval-only key cannot create sandboxes', async () => {
    const res = await submit({ language: 'python', code: 'print(1)' }, api.reviewerKey);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden' });
    expect(res.body.error.message).toMatch(/has scope approve; this call needs submit/);
    const sandbox = await api.post('/v1/sandboxes', { language: 'python' }, api.reviewerKey);
    expect(sandbox.status).toBe(403);
  });

  test('a rejection ends the execution as rejected without provisioning', async () => {
    const id = await awaitingApproval();
    expect((await decide(id, 'reject', { comment: 'no eval' }, api.reviewerKey)).status).toBe(200);
    const result = await finished(id);
    expect(result).toMatchObject({ status: 'rejected', error: { type: 'ApprovalRejected' } });
    expect(result.error?.message).toBe(`rejected by alice (key ${keyIdOf(api.reviewerKey)}): no eval`);
    expect(result.stages.find((s) => s.name === 'provision')?.outcome).toBe('skipped');
  });

  test('deciding an unknown or finished execution', async () => {
    expect((await decide(`ex_${'2'.repeat(32)}`, 'approve', {}, api.reviewerKey)).status).toBe(404);
    const done = await submit({ language: 'python', code: 'print(1)' });
    await finished(done.body.id);
    const late = await decide(done.body.id, 'approve', {}, api.reviewerKey);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe(`execution ${done.body.id} is not waiting for approval`);
  });
});

describe('reports', () => {
  let result: ExecutionResult;

  beforeAll(async () => {
    const res = await api.post('/v1/executions?wait=true', {
      language: 'python',
      policy: 'ci-gate',
      files: [{ path: 'calc.py', content: 'import pickle\n\ndef add(a, b):\n    return a + b\n' }],
      tests: {
        files: [
          {
            path: 'test_calc.py',
            content:
              'from calc import add\n\ndef test_ok():\n    assert add(1, 2) == 3\n\ndef test_bad():\n    assert add(1, 1) == 3\n',
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    result = res.body as ExecutionResult;
  });

  test('GET /:id/sarif is SARIF 2.1.0 with every gate finding', async () => {
    const res = await get(`/v1/executions/${result.id}/sarif`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/sarif\+json/);
    const log = JSON.parse(res.text) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
    expect(sarifErrors(log)).toEqual([]);
    const findings = result.gates.flatMap((g) => g.findings.map((f) => f.ruleId));
    expect(findings).toContain('B403'); // bandit: import pickle
    expect(log.runs.flatMap((r) => r.results.map((x) => x.ruleId)).sort()).toEqual(findings.sort());
  });

  test('GET /:id/junit is schema-valid JUnit XML with the failed test', async () => {
    expect(result.status).toBe('tests_failed');
    const res = await get(`/v1/executions/${result.id}/junit`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(await junitErrors(res.text)).toEqual([]);
    expect(res.text).toMatch(/<testcase [^>]*name="test_calc\.test_bad"[^>]*>\s*<failure/);
    expect(res.text).toMatch(/<testcase [^>]*name="test_calc\.test_ok"[^>]*\/>/);
  });

  test('GET /:id/history is the replayable history, with the same decisions as the result', async () => {
    const res = await get(`/v1/executions/${result.id}/history`);
    expect(res.status).toBe(200);
    const report = auditReport(res.body);
    expect(report.executionId).toBe(result.id);
    expect(report.gates.map((g) => [g.gate, g.verdict])).toEqual(result.gates.map((g) => [g.gate, g.verdict]));
    expect(report.result?.status).toBe('tests_failed');
    expect(report.teardown.confirmed).toBe(true);
  });

  test("reports of another tenant's execution are 404", async () => {
    for (const report of ['sarif', 'junit', 'history']) {
      expect((await get(`/v1/executions/${result.id}/${report}`, api.otherTenantKey)).status).toBe(404);
    }
  });
});

describe('GET /v1/executions', () => {
  // A tenant of its own, so other tests' executions cannot appear in its listings.
  let key: string;
  const ids: Record<'clean' | 'script' | 'blocked', string> = { clean: '', script: '', blocked: '' };
  let startedAt: string;

  type Listed = { id: string; status: string; language: string; policy: string; gate: string; closed: boolean };
  const list = async (query: string): Promise<{ executions: Listed[]; nextPageToken: string | null }> => {
    const res = await get(`/v1/executions${query}`, key);
    expect(res.status).toBe(200);
    return res.body;
  };
  const listedIds = async (query: string) => (await list(query)).executions.map((e) => e.id).sort();

  beforeAll(async () => {
    key = api.keys.create(`listing-${Date.now().toString(36)}`, 'tests').key;
    startedAt = new Date(Date.now() - 1000).toISOString();
    const run = async (body: object) => {
      const res = await submit(body, key);
      expect(res.status).toBe(202);
      return (await finished(res.body.id, key)).id;
    };
    ids.clean = await run({ language: 'python', code: 'print(1)' });
    ids.script = await run({ language: 'javascript', code: 'console.log(1)' });
    ids.blocked = await run({ language: 'python', policy: 'strict', code: 'KEY = "AKIAIOSFODNN7EXAMPLE"' });
    // Visibility is eventually consistent: wait until every final status is indexed.
    await eventually('the listing to show every final status', async () => {
      const all = (await list('?pageSize=100')).executions;
      return all.length === 3 && all.every((e) => e.closed && e.status !== 'running');
    });
  });

  test('lists only the tenant’s executions, newest first, with their attributes', async () => {
    const { executions, nextPageToken } = await list('');
    expect(executions.map((e) => e.id)).toEqual([ids.blocked, ids.script, ids.clean]);
    expect(executions[0]).toMatchObject({ status: 'rejected', language: 'python', policy: 'strict', gate: 'block' });
    expect(executions[1]).toMatchObject({ status: 'succeeded', language: 'javascript', policy: 'default' });
    expect(nextPageToken).toBeNull();
    const others = (await get('/v1/executions?pageSize=100', api.otherTenantKey)).body.executions as Listed[];
    expect(others.map((e) => e.id)).not.toEqual(expect.arrayContaining([ids.clean]));
  });

  test('filters by status, language, policy, gate outcome and time', async () => {
    expect(await listedIds('?status=rejected')).toEqual([ids.blocked]);
    expect(await listedIds('?status=succeeded')).toEqual([ids.clean, ids.script].sort());
    expect(await listedIds('?language=javascript')).toEqual([ids.script]);
    expect(await listedIds('?policy=strict')).toEqual([ids.blocked]);
    expect(await listedIds('?gate=block')).toEqual([ids.blocked]);
    expect(await listedIds('?status=succeeded&language=python')).toEqual([ids.clean]);
    expect(await listedIds(`?since=${encodeURIComponent(startedAt)}`)).toHaveLength(3);
    expect(await listedIds(`?until=${encodeURIComponent(startedAt)}`)).toEqual([]);
  });

  test('pages through with pageSize and pageToken', async () => {
    const first = await list('?pageSize=2');
    expect(first.executions).toHaveLength(2);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await list(`?pageSize=2&pageToken=${first.nextPageToken}`);
    expect(second.executions.map((e) => e.id)).toEqual([ids.clean]);
    expect(second.nextPageToken).toBeNull();
  });

  test('a bad filter is a 400 naming the query parameter', async () => {
    for (const [query, field] of [
      ['?status=exploded', 'query.status'],
      ['?language=COBOL!', 'query.language'],
      ['?gate=maybe', 'query.gate'],
      ['?since=yesterday', 'query.since'],
      ['?pageSize=0', 'query.pageSize'],
      ['?pageSize=101', 'query.pageSize'],
      ['?pageToken=not%20a%20token', 'query.pageToken'],
    ]) {
      const res = await get(`/v1/executions${query}`, key);
      expect([query, res.status, res.body.error?.field]).toEqual([query, 400, field]);
    }
    const unknown = await get('/v1/executions?colour=red', key);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/colour/);
  });
});
