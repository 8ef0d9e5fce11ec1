/**
 * examples/e2b-langchain: a LangChain code tool on the stock E2B SDK, driven with no model against
 * a real cluster and engine. Its programs run in one Airlock sandbox, which keeps their files, and a
 * failure comes back to the model as text, not an exception.
 */
import path from 'node:path';
import request from 'supertest';
import type { SandboxInfo } from '../../lib/schemas/sandbox';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { TestCluster } from '../support/cluster';
import { createTestApi, listen, type TestApi } from '../support/api';
import { runProgram } from '../support/cli';
import { E2B_PYTHON, e2bEnvironment } from '../support/e2b';

let cluster: TestCluster;
let api: TestApi;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  server = await listen(api.app);
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

test('the tool runs programs in one sandbox, keeps their files, and reports a failure to the model', async () => {
  const dir = path.join(PROJECT_ROOT, 'examples/e2b-langchain');
  const run = await runProgram(E2B_PYTHON, [path.join(dir, 'check_example.py')], {
    cwd: dir,
    env: e2bEnvironment(server.url, api.key),
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const out = JSON.parse(run.stdout) as Record<string, unknown>;
  expect(out).toMatchObject({ name: 'run_python', first: '45\n', second: 'kept\n' });
  expect(out.schema).toEqual({ code: { title: 'Code', type: 'string' } });
  expect(out.failed).toMatch(/^exit code 3: exit status 3/);
  // The sandbox the tool made is an Airlock one; the tool's exit killed it.
  const { body } = await request(api.app)
    .get(`/v1/sandboxes/${String(out.sandboxId)}`)
    .set('authorization', `Bearer ${api.key}`);
  expect((body as SandboxInfo).metadata).toEqual({ tool: 'langchain-run-python' });
  expect((body as SandboxInfo).end).toMatchObject({ reason: 'closed' });
});
