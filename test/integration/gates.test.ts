/**
 * The gates, approval and the output gate through the real pipeline: planted findings are
 * blocked, clean code passes, and every decision is recorded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster } from '../support/cluster';
import { containersOf } from '../support/docker';
import { POLICIES_DIR } from '../../lib/node/paths';
import type { ApprovalDecision, ExecutionResult } from '../../lib/schemas/execution-result';
import { decideApprovalUpdate } from '../../workflows/messages';
import { decodeHistory } from '../../lib/node/payload-codec';

let cluster: TestCluster;
const policiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-policies-'));

beforeAll(async () => {
  fs.cpSync(POLICIES_DIR, policiesDir, { recursive: true });
  // A policy whose approvals time out quickly, and one that blocks a pattern in the output.
  const strict = fs.readFileSync(path.join(POLICIES_DIR, 'strict.yaml'), 'utf8');
  fs.writeFileSync(
    path.join(policiesDir, 'quick-approval.yaml'),
    strict
      .replace('name: strict', 'name: quick-approval')
      .replace(
        /approval:\n {2}required: on-warn\n {2}timeoutMs: \d+/,
        'approval:\n  required: always\n  timeoutMs: 2000',
      ),
  );
  // Two distinct approvers, as a four-eyes rule asks.
  fs.writeFileSync(
    path.join(policiesDir, 'four-eyes.yaml'),
    strict
      .replace('name: strict', 'name: four-eyes')
      .replace(/approval:\n {2}required: on-warn\n/, 'approval:\n  required: always\n  approvers: 2\n'),
  );
  fs.writeFileSync(
    path.join(policiesDir, 'no-accounts.yaml'),
    fs
      .readFileSync(path.join(POLICIES_DIR, 'default.yaml'), 'utf8')
      .replace('name: default', 'name: no-accounts')
      .replace(
        '    secrets: redact',
        "    secrets: redact\n    patterns: [{ name: account, regex: 'ACCT-[0-9]{6}', action: block }]",
      ),
  );
  cluster = await TestCluster.start({ policiesDir });
});

afterAll(async () => {
  await cluster?.stop();
});

const gate = (result: ExecutionResult, name: string) => result.gates.find((g) => g.gate === name);
const stage = (result: ExecutionResult, name: string) => result.stages.find((s) => s.name === name);

describe('pre-run gates', () => {
  test('a planted secret is blocked by the secrets gate before anything is provisioned', async () => {
    const result = await cluster.run({
      language: 'python',
      policy: 'strict',
      code: 'KEY = "AKIAIOSFODNN7EXAMPLE"\nprint(1)',
    });
    expect(result.status).toBe('rejected');
    expect(gate(result, 'secrets')).toMatchObject({
      verdict: 'block',
      findings: [expect.objectContaining({ ruleId: 'aws-access-key-id' })],
    });
    expect(result.error?.type).toBe('GateBlocked');
    expect(stage(result, 'provision')?.outcome).toBe('skipped');
    expect(await containersOf(cluster.docker, result.id)).toEqual([]);
  });

  test('a denied import is blocked by the imports gate', async () => {
    const result = await cluster.run({
      language: 'javascript',
      policy: 'strict',
      code: "const cp = require('child_process');",
    });
    expect(result.status).toBe('rejected');
    expect(gate(result, 'imports')?.findings.map((f) => f.ruleId)).toEqual(['imports/child_process']);
  });

  test.each([
    ['python', 'import pickle, sys\nprint(pickle.loads(sys.stdin.buffer.read()))', 'B301'],
    ['bash', 'eval "$1"\nrm -rf $DIR/*', 'SC2115'],
    ['javascript', 'const userCode = process.argv[2];\neval(userCode);', 'security/detect-eval-with-expression'],
    ['c', '#include <string.h>\nint main(int c, char **v) { char b[8]; strcpy(b, v[1]); return 0; }', 'FF1001'],
  ])('%s: the analyzer runs in a scanner container and its finding is recorded', async (language, code, rule) => {
    // ci-gate: static analysis on, and a warning does not wait for a reviewer.
    const result = await cluster.run({ language, policy: 'ci-gate', code });
    const analysis = gate(result, 'static-analysis')!;
    expect(analysis.error).toBeNull();
    expect(analysis.findings.map((f) => f.ruleId)).toContain(rule);
    expect(analysis.tools[0]?.version).toMatch(/\d/);
    expect(['warn', 'block']).toContain(analysis.verdict);
    // The scanner container is gone with the gate.
    expect(await containersOf(cluster.docker, result.id)).toEqual([]);
  });

  test('clean code passes every gate and runs', async () => {
    const result = await cluster.run({ language: 'python', policy: 'strict', code: 'print(sum([1, 2, 3]))' });
    expect(result.status).toBe('succeeded');
    expect(result.gates.map((g) => [g.gate, g.verdict])).toEqual([
      ['secrets', 'pass'],
      ['imports', 'pass'],
      ['static-analysis', 'pass'],
      ['output', 'pass'],
    ]);
    expect(stage(result, 'approval')).toMatchObject({ outcome: 'skipped', detail: 'no gate warned' });
  });
});

describe('approval', () => {
  async function awaitingApproval(code: string, policy = 'strict'): Promise<string> {
    const { executionId } = await cluster.submit({ language: 'python', policy, code });
    await cluster.waitForStage(executionId, 'approval', 'running');
    const state = await cluster.executions.get(executionId, 'default');
    expect(state?.status).toBe('awaiting_approval');
    return executionId;
  }

  const alice = { keyId: 'k-alice', tenant: 'default', label: 'alice' };
  const bob = { keyId: 'k-bob', tenant: 'default', label: 'bob' };
  const decide = (id: string, decision: ApprovalDecision) =>
    cluster.client.workflow.getHandle(id).executeUpdate(decideApprovalUpdate, { args: [decision] });
  /** The update's refusal type, from its validator: a refused decision never reaches history. */
  const refusal = (id: string, decision: ApprovalDecision) =>
    decide(id, decision).then(
      () => 'accepted',
      (err: { cause?: { type?: string } }) => err.cause?.type,
    );

  test('a warning waits for a reviewer; approval lets it run and is recorded', async () => {
    const id = await awaitingApproval('print(eval("6*7"))');
    const approval = await decide(id, { decision: 'approve', comment: 'literal', approver: alice });
    expect(approval).toMatchObject({
      decision: 'approved',
      reviewer: 'alice',
      comment: 'literal',
      reviewerKeyId: 'k-alice',
      decisions: [{ decision: 'approve', approver: alice, comment: 'literal' }],
    });
    const result = await cluster.result(id);
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('42\n');
    expect(stage(result, 'approval')).toMatchObject({
      outcome: 'succeeded',
      detail: 'approved by alice (key k-alice): literal',
    });
  });

  test('the workflow itself refuses the submitting key, another tenant, a decision without a key', async () => {
    const id = await awaitingApproval('print(eval("6*7"))');
    // cluster.submit submits with key "test-key".
    expect(await refusal(id, { decision: 'approve', approver: { ...alice, keyId: 'test-key' } })).toBe('SelfApproval');
    expect(await refusal(id, { decision: 'approve', approver: { ...alice, tenant: 'other' } })).toBe(
      'ApproverOfAnotherTenant',
    );
    expect(await refusal(id, { decision: 'approve', reviewer: 'alice', keyId: 'k1' })).toBe('InvalidDecision');
    const state = await cluster.executions.get(id, 'default');
    expect(state).toMatchObject({ status: 'awaiting_approval', approval: { decisions: [] } });
    await decide(id, { decision: 'reject', approver: bob });
    expect((await cluster.result(id)).status).toBe('rejected');
  });

  test('a four-eyes policy waits for two distinct approvers; the same key twice is refused', async () => {
    const id = await awaitingApproval('print(6*7)', 'four-eyes');
    const first = await decide(id, { decision: 'approve', approver: alice });
    expect(first).toMatchObject({ required: 2, decision: null, decisions: [{ approver: alice }] });
    expect(await refusal(id, { decision: 'approve', approver: alice })).toBe('AlreadyDecided');
    expect((await cluster.executions.get(id, 'default'))?.status).toBe('awaiting_approval');
    const second = await decide(id, { decision: 'approve', approver: bob, comment: 'second pair of eyes' });
    expect(second).toMatchObject({ decision: 'approved', decisions: [{ approver: alice }, { approver: bob }] });
    const result = await cluster.result(id);
    expect(result.status).toBe('succeeded');
    expect(stage(result, 'approval')?.detail).toBe(
      'approved by alice (key k-alice); bob (key k-bob): second pair of eyes',
    );
  });

  test('under four eyes, one rejection rejects', async () => {
    const id = await awaitingApproval('print(6*7)', 'four-eyes');
    await decide(id, { decision: 'approve', approver: alice });
    await decide(id, { decision: 'reject', approver: bob, comment: 'no' });
    expect(await cluster.result(id)).toMatchObject({ status: 'rejected', error: { type: 'ApprovalRejected' } });
  });

  test('a rejection ends the execution as rejected, with the reviewer', async () => {
    const id = await awaitingApproval('print(eval("6*7"))');
    const outcome = await cluster.executions.decide(id, 'default', {
      decision: 'reject',
      comment: 'no eval',
      approver: bob,
    });
    expect(outcome).toMatchObject({ approval: { decision: 'rejected' } });
    const result = await cluster.result(id);
    expect(result).toMatchObject({
      status: 'rejected',
      error: { type: 'ApprovalRejected', message: 'rejected by bob (key k-bob): no eval' },
    });
    expect(result.approval).toMatchObject({ decision: 'rejected', reviewer: 'bob' });
    expect(stage(result, 'provision')?.outcome).toBe('skipped');
  });

  test('no decision in time rejects it', async () => {
    const id = await awaitingApproval('print(1)', 'quick-approval');
    const result = await cluster.result(id);
    expect(result).toMatchObject({ status: 'rejected', error: { type: 'ApprovalTimedOut' } });
    expect(result.approval?.decision).toBe('timed_out');
  });

  test('a decision nobody is waiting for is refused and never reaches history', async () => {
    const done = await cluster.run({ language: 'python', code: 'print(1)' });
    expect(await cluster.executions.decide(done.id, 'default', { decision: 'approve', approver: alice })).toEqual({
      refused: 'NotAwaitingApproval',
      message: 'the execution has ended',
    });
  });
});

describe('output gate', () => {
  test('secrets in stdout, stderr and written files are redacted before they reach history', async () => {
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const result = await cluster.run({
      language: 'python',
      code: `import sys\nprint("token ${token}")\nprint("${token}", file=sys.stderr)\nopen("leak.txt", "w").write("${token}")`,
    });
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('token [REDACTED:github-token]\n');
    expect(result.run?.stderr).toBe('[REDACTED:github-token]\n');
    // In the clear: that the history is also encrypted must not be what keeps the token out.
    const history = JSON.stringify(
      await decodeHistory(await cluster.client.workflow.getHandle(result.id).fetchHistory()),
    );
    expect(history).not.toContain(token);
    expect(gate(result, 'output')?.findings.map((f) => f.location?.path)).toEqual([
      'run.stdout',
      'run.stderr',
      'leak.txt',
    ]);
    expect(result.scan?.artifacts.map((a) => a.name)).toEqual(['leak.txt']);
  });

  test('a match of a blocking pattern rejects the execution', async () => {
    const result = await cluster.run({ language: 'python', policy: 'no-accounts', code: 'print("ACCT-123456")' });
    expect(result).toMatchObject({ status: 'rejected', error: { type: 'OutputBlocked' } });
    expect(result.run?.stdout).toBe('[REDACTED:pattern/account]\n');
  });

  test('the manifest lists every file the program wrote, with its hash', async () => {
    const result = await cluster.run({
      language: 'python',
      code: 'import os\nos.makedirs("out", exist_ok=True)\nopen("out/a.txt", "w").write("alpha")\nopen("main.py", "a").write("# changed")',
    });
    expect(result.scan?.artifacts.map((a) => [a.name, a.bytes])).toEqual(
      expect.arrayContaining([
        ['out/a.txt', 5],
        ['main.py', expect.any(Number)],
      ]),
    );
    expect(result.scan?.artifactsTruncated).toBe(false);
  });
});
