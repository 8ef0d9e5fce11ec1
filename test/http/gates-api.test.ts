/**
 * The HTTP side of gates, approvals, reports, audit history and listing, on a real cluster.
 */
import { auditReport } from '../../lib/audit/timeline';
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
  test('a reviewer approves a waiting execution; the decision is in the result and its history', async () => {
    const id = await awaitingApproval();
    const noReviewer = await decide(id, 'approve', { comment: 'fine' });
    expect(noReviewer.status).toBe(400);
    expect(noReviewer.body.error).toMatchObject({ code: 'invalid_request', field: 'reviewer' });
    expect((await decide(id, 'approve', { reviewer: 'mallory' }, api.otherTenantKey)).status).toBe(404);

    const approved = await decide(id, 'approve', { reviewer: 'alice', comment: 'eval of a literal' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      id,
      approval: { decision: 'approved', reviewer: 'alice', comment: 'eval of a literal' },
    });
    // The key that decided is recorded, so an auditor can tell who acted, not just the name they gave.
    expect(approved.body.approval.reviewerKeyId).toBe(api.key.split('_')[1]);
    const again = await decide(id, 'reject', { reviewer: 'bob' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_awaiting_approval');

    const result = await finished(id);
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('42\n');
    const history = await get(`/v1/executions/${id}/history`);
    expect(history.status).toBe(200);
    expect(auditReport(history.body).approvals).toEqual([
      expect.objectContaining({ decision: 'approved', reviewer: 'alice', comment: 'eval of a literal' }),
    ]);
  });

  test('a rejection ends the execution as rejected without provisioning', async () => {
    const id = await awaitingApproval();
    expect((await decide(id, 'reject', { reviewer: 'bob', comment: 'no eval' })).status).toBe(200);
    const result = await finished(id);
    expect(result).toMatchObject({ status: 'rejected', error: { type: 'ApprovalRejected' } });
    expect(result.stages.find((s) => s.name === 'provision')?.outcome).toBe('skipped');
  });

  test('deciding an unknown or finished execution', async () => {
    expect((await decide(`ex_${'2'.repeat(32)}`, 'approve', { reviewer: 'alice' })).status).toBe(404);
    const done = await submit({ language: 'python', code: 'print(1)' });
    await finished(done.body.id);
    const late = await decide(done.body.id, 'approve', { reviewer: 'alice' });
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
