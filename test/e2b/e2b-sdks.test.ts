/**
 * The stock E2B SDKs (npm `e2b` and PyPI `e2b`, pinned) against the E2B-compatible surface on a
 * real cluster and engine. Each SDK runs in a process of its own, as users run it, pointed at
 * Airlock by environment only; the scenarios (test/e2b/js, test/e2b/python) assert, and this
 * suite checks what the native API and raw sandbox-plane calls say about the same sandboxes.
 */
import path from 'node:path';
import request from 'supertest';
import type { SandboxInfo } from '../../lib/schemas/sandbox';
import { TestCluster } from '../support/cluster';
import { createTestApi, listen, type TestApi } from '../support/api';
import { runProgram } from '../support/cli';
import { E2B_PYTHON, e2bEnvironment } from '../support/e2b';
import { toE2bKeySpelling } from '../../lib/e2b-key-spelling';

const JS_SCENARIOS = path.join(__dirname, 'js/scenarios.mjs');
const PY_SCENARIOS = path.join(__dirname, 'python/scenarios.py');
const RUN = `${process.pid}-${Date.now()}`;

let cluster: TestCluster;
let api: TestApi;
let server: Awaited<ReturnType<typeof listen>>;
/** A key of the same tenant bound to ci-gate, whose secrets gate blocks. */
let gatedKey: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  gatedKey = api.keys.create('default', 'e2b-gated', { policies: ['ci-gate'], defaultPolicy: 'ci-gate' }).key;
  server = await listen(api.app);
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

/** One scenario in its own process; its JSON answer, or the test fails with its assertion. */
async function scenario(
  [program, script]: [string, string],
  name: string,
  env: Record<string, string> = {},
): Promise<Partial<Record<string, string>>> {
  const { code, stdout, stderr } = await runProgram(program, [script, name], {
    cwd: path.dirname(script),
    env: { ...e2bEnvironment(server.url, api.key), OTHER_TENANT_KEY: api.otherTenantKey, RUN_ID: RUN, ...env },
  });
  if (code !== 0) throw new Error(`scenario "${name}" exited ${code}:\n${stderr}${stdout}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Partial<Record<string, string>>;
}

const native = (id: string) => request(api.app).get(`/v1/sandboxes/${id}`).set('authorization', `Bearer ${api.key}`);

describe.each([
  ['the JS SDK', [process.execPath, JS_SCENARIOS] as [string, string], 'js'],
  ['the Python SDK', [E2B_PYTHON, PY_SCENARIOS] as [string, string], 'py'],
])('%s', (_sdk, runner, suite) => {
  let sandboxId: string;
  const run = (name: string) => scenario(runner, name, { SANDBOX_ID: sandboxId });

  beforeAll(async () => {
    sandboxId = (await scenario(runner, 'create')).sandboxId!;
  });

  afterAll(async () => {
    if (sandboxId)
      await request(api.app).delete(`/v1/sandboxes/${sandboxId}`).set('authorization', `Bearer ${api.key}`);
  });

  const names =
    suite === 'js'
      ? [
          'run streams output in the workspace as the sandbox user with the create-time env',
          'a non-zero exit raises CommandExitError with its code and output',
          'one command has its own envs and cwd; /home/user is the workspace',
          'a background command returns at its start and its handle waits for the end',
          'background commands: list, connect and kill; a killed one ends "signal: killed"',
          'root, PTY, stdin and watching answer clear errors',
          'files: text, bytes, streams and several at once',
          'files: list, exists, getInfo, makeDir, rename and remove',
          'files: missing files and paths outside the workspace are the errors E2B raises',
          'control plane: getInfo, connect, list by metadata, setTimeout',
          'control plane: unknown templates and pause are refused clearly',
          "another tenant's key finds no sandbox",
        ]
      : [
          'run streams output in the workspace with the create-time env',
          'a non-zero exit raises CommandExitException',
          'a background command returns at its start',
          'background commands: list, connect, kill',
          'files: write, read, list, info, make_dir, rename, remove',
          'control plane: get_info, list by metadata, set_timeout, pause refused',
          'the async client',
          "another tenant's key finds no sandbox",
        ];
  test.each(names)('%s', async (name) => {
    await run(name);
  });

  test('kill ends a sandbox, and the native API says it was closed', async () => {
    const { sandboxId: doomed } = await scenario(
      runner,
      suite === 'js' ? 'kill ends a sandbox: not running, not found, a second kill is false' : 'kill ends a sandbox',
    );
    if (doomed) expect(((await native(doomed)).body as SandboxInfo).end).toMatchObject({ reason: 'closed' });
  });

  test('a command the gates block fails with the gate reason; the step is rejected under the key policy', async () => {
    const name =
      suite === 'js'
        ? 'a command the gates block fails with the gate reason and never runs'
        : 'a command the gates block fails with the gate reason';
    const { sandboxId: gated } = await scenario(runner, name, { E2B_API_KEY: gatedKey });
    try {
      const info = (await native(gated!)).body as SandboxInfo;
      expect(info.policy).toBe('ci-gate');
      const step = info.recentSteps.find((s) => s.kind === 'exec');
      expect(step).toMatchObject({ status: 'rejected' });
      const events = await request(api.app)
        .get(`/v1/sandboxes/${gated}/steps/${step!.stepId}/events`)
        .set('authorization', `Bearer ${api.key}`);
      expect(events.text).toMatch(/"gate":"secrets","verdict":"block"/);
    } finally {
      await request(api.app).delete(`/v1/sandboxes/${gated}`).set('authorization', `Bearer ${api.key}`);
    }
  });

  test('it is an ordinary Airlock sandbox: its tenant, policy, metadata and steps', async () => {
    const info = (await native(sandboxId)).body as SandboxInfo;
    expect(info).toMatchObject({ tenant: 'default', policy: 'default', language: 'python', status: 'ready' });
    expect(info.metadata).toEqual({ run: RUN, suite });
    expect(info.recentSteps.map((s) => s.kind)).toEqual(expect.arrayContaining(['exec', 'write_file', 'list_files']));
    // setTimeout(600 s) in the control-plane scenario.
    expect(info.idleTimeoutSeconds).toBe(600);
  });

  test("the sandbox plane with another tenant's key is as if there were no sandbox", async () => {
    const as = (key?: string) => ({ ...(key ? { 'X-Access-Token': key } : {}), 'E2b-Sandbox-Id': sandboxId });
    expect((await request(server.url).get('/files?path=m1.txt').set(as(api.otherTenantKey))).status).toBe(404);
    expect((await request(server.url).get('/health').set(as(api.otherTenantKey))).status).toBe(502);
    const stat = await request(server.url)
      .post('/filesystem.Filesystem/ListDir')
      .set(as(api.otherTenantKey))
      .type('application/json')
      .send({ path: '/home/user' });
    expect(stat.status).toBe(404);
    expect(stat.body).toMatchObject({ code: 'not_found' });
    // Nor its commands: none listed, none killed.
    for (const [method, body] of [
      ['List', {}],
      ['SendSignal', { process: { pid: 1 }, signal: 'SIGNAL_SIGKILL' }],
    ] as const) {
      const rpc = await request(server.url)
        .post(`/process.Process/${method}`)
        .set(as(api.otherTenantKey))
        .type('application/json')
        .send(body);
      expect([method, rpc.status, rpc.body.code]).toEqual([method, 404, 'not_found']);
    }
    // No token, or a made-up one, reaches nothing either.
    expect((await request(server.url).get('/files?path=m1.txt').set(as())).status).toBe(401);
    expect((await request(server.url).get('/health').set(as('ak_0000000000000000_forged'))).status).toBe(401);
    expect((await request(server.url).get('/health').set(as(api.key))).status).toBe(204);
  });
});

test("an older SDK's e2b_<hex> spelling of a key is that key on both planes, and spells no other", async () => {
  const spelt = toE2bKeySpelling(api.key);
  expect(spelt).toMatch(/^e2b_[0-9a-f]+$/);
  const { sandboxId } = await scenario([E2B_PYTHON, PY_SCENARIOS], 'create', { E2B_API_KEY: spelt });
  const health = (token: string) =>
    request(server.url).get('/health').set({ 'X-Access-Token': token, 'E2b-Sandbox-Id': sandboxId! });
  try {
    // The access token create handed back is the spelling the SDK presented.
    expect((await health(spelt)).status).toBe(204);
    expect((await health(toE2bKeySpelling(api.otherTenantKey))).status).toBe(502);
    expect((await health(toE2bKeySpelling('ak_0000000000000000_forged'))).status).toBe(401);
    expect((await health('e2b_abc')).status).toBe(401);
  } finally {
    await request(api.app).delete(`/v1/sandboxes/${sandboxId}`).set('authorization', `Bearer ${api.key}`);
  }
});
