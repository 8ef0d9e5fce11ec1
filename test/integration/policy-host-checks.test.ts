/**
 * A host makes no container its own setup cannot make exactly as the gate planned it: a policy whose
 * OCI runtime its engine lacks, or a seccomp profile whose bytes differ from the ones the gate
 * recorded. Each goes through the API, an orchestration worker and a host worker in their own
 * processes, each given its own policies folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Client } from '@temporalio/client';
import { POLICIES_DIR } from '../../lib/node/paths';
import { ErrorType } from '../../lib/errors';
import { loadSeccompProfiles } from '../../lib/node/seccomp';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { containersOf } from '../support/docker';

/** A fresh copy of policies/, which a test may then change. */
function copyOfPolicies(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-policies-'));
  fs.cpSync(POLICIES_DIR, dir, { recursive: true });
  return dir;
}

async function submitAndWait(api: TestApi, body: object): Promise<ExecutionResult> {
  const res = await request(api.app)
    .post('/v1/executions?wait=true')
    .set({ authorization: `Bearer ${api.key}` })
    .send(body);
  expect(res.status).toBe(200);
  return res.body as ExecutionResult;
}

/** How provisioning went by the history: the attempt that ran last and the failure it recorded. */
async function provisionRecord(client: Client, executionId: string) {
  const events = (await client.workflow.getHandle(executionId).fetchHistory()).events ?? [];
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'provisionContainer',
  );
  expect(scheduled).toHaveLength(1);
  const scheduledId = String(scheduled[0]!.eventId);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledId);
  const failed = events.find((e) => String(e.activityTaskFailedEventAttributes?.scheduledEventId) === scheduledId);
  return {
    attempt: started?.activityTaskStartedEventAttributes?.attempt,
    failure: failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo,
  };
}

const stage = (result: ExecutionResult, name: string) => result.stages.find((s) => s.name === name);

/** The shape both refusals share: failed once at provision, nothing run, nothing left behind. */
async function expectRefusedAtProvision(cluster: TestCluster, result: ExecutionResult, type: ErrorType) {
  expect(result).toMatchObject({ status: 'internal_error', host: null, error: { type } });
  expect(stage(result, 'gate')?.outcome).toBe('succeeded');
  expect(stage(result, 'provision')).toMatchObject({
    outcome: 'failed',
    detail: expect.stringContaining(result.error!.message),
  });
  expect(stage(result, 'run')?.outcome).toBe('skipped');
  expect(stage(result, 'teardown')).toMatchObject({
    outcome: 'skipped',
    detail: 'no host confirmed a container; host reapers remove any',
  });
  // Not retried: another attempt, here or on another host, could only fail the same way.
  expect(await provisionRecord(cluster.client, result.id)).toEqual({
    attempt: 1,
    failure: expect.objectContaining({ type, nonRetryable: true }),
  });
  expect(await containersOf(cluster.docker, result.id)).toEqual([]);
}

describe('a policy that asks for an OCI runtime the host engine does not have', () => {
  const policiesDir = copyOfPolicies();
  let cluster: TestCluster;
  let api: TestApi;

  beforeAll(async () => {
    fs.writeFileSync(
      path.join(policiesDir, 'gvisor.yaml'),
      fs
        .readFileSync(path.join(POLICIES_DIR, 'default.yaml'), 'utf8')
        .replace('name: default', 'name: gvisor')
        .replace('  runtime: runc', '  runtime: runsc'),
    );
    // One folder for every process, as a deployment has; no warm pool, whose containers are no
    // execution's and would only cost time.
    cluster = await TestCluster.start({
      policiesDir,
      hostEnv: { AIRLOCK_POLICIES_DIR: policiesDir, AIRLOCK_POOL_MAX_IDLE: '0' },
    });
    api = createTestApi(cluster, { policiesDir });
  });

  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(policiesDir, { recursive: true, force: true });
  });

  test('the same workers run a runc policy', async () => {
    const result = await submitAndWait(api, { language: 'python', code: 'print(6 * 7)' });
    expect(result).toMatchObject({ status: 'succeeded', policy: { name: 'default' }, run: { stdout: '42\n' } });
  });

  test('provisioning fails with RuntimeUnavailable, naming the runtime and the host, and leaves no container', async () => {
    const info = (await cluster.docker.info()) as { Runtimes?: Record<string, unknown> };
    expect(Object.keys(info.Runtimes ?? {})).not.toContain('runsc');

    const result = await submitAndWait(api, { language: 'python', policy: 'gvisor', code: 'print(1)' });

    expect(result.policy?.name).toBe('gvisor');
    expect(result.error?.message).toMatch(
      new RegExp(`^OCI runtime runsc is not installed on host ${cluster.hostId} \\(it has .*\\brunc\\b.*\\)$`),
    );
    await expectRefusedAtProvision(cluster, result, ErrorType.RuntimeUnavailable);
  });
});

describe("a host whose copy of the policy's seccomp profile differs from the gate's", () => {
  const hostPoliciesDir = copyOfPolicies();
  const gateProfile = loadSeccompProfiles(path.join(POLICIES_DIR, 'seccomp')).get('strict')!;
  let cluster: TestCluster;
  let api: TestApi;

  beforeAll(async () => {
    // An edited copy on the host: one syscall fewer allowed, still a valid profile.
    const file = path.join(hostPoliciesDir, 'seccomp', 'strict.json');
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { syscalls: Array<{ names: string[] }> };
    profile.syscalls[0]!.names = profile.syscalls[0]!.names.filter((name) => name !== 'chmod');
    fs.writeFileSync(file, `${JSON.stringify(profile, null, 2)}\n`);
    // The API and the gate read policies/; only the host worker reads the edited folder.
    cluster = await TestCluster.start({
      hostEnv: { AIRLOCK_POLICIES_DIR: hostPoliciesDir, AIRLOCK_POOL_MAX_IDLE: '0' },
    });
    api = createTestApi(cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(hostPoliciesDir, { recursive: true, force: true });
  });

  test('provisioning fails with SeccompProfileMismatch, not retried, and leaves no container', async () => {
    const hostProfile = loadSeccompProfiles(path.join(hostPoliciesDir, 'seccomp')).get('strict')!;
    expect(hostProfile.sha256).not.toBe(gateProfile.sha256);

    const result = await submitAndWait(api, { language: 'python', code: 'print(1)' });

    expect(result.policy?.name).toBe('default');
    // The message names the gate's hash, which is the one the host could not match.
    expect(result.error?.message).toBe(
      `seccomp profile strict (${gateProfile.sha256.slice(0, 12)}) is a different version on host ${cluster.hostId}`,
    );
    await expectRefusedAtProvision(cluster, result, ErrorType.SeccompProfileMismatch);
  });
});
