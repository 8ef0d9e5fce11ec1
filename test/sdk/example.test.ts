/**
 * examples/agent-loop.ts, compiled and run as a user would run it, against the real service.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { TestCluster } from '../support/cluster';
import { createTestApi, listen, type TestApi } from '../support/api';
import { TEST_DIR } from '../support/test-env';

const run = promisify(execFile);
// Inside the project, so the compiled example resolves zod and eventsource-parser from node_modules.
const OUT = path.join(TEST_DIR, 'examples-build');

let cluster: TestCluster;
let api: TestApi;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  server = await listen(api.app);
  await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'examples', '--outDir', OUT], {
    cwd: PROJECT_ROOT,
  });
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

test('the agent loop edits, runs and tests code in a sandbox until the tests pass', async () => {
  const { stdout } = await run(process.execPath, [path.join(OUT, 'examples', 'agent-loop.js')], {
    env: { ...process.env, AIRLOCK_URL: server.url, AIRLOCK_API_KEY: api.key },
    timeout: 120_000,
  });
  expect(stdout).toMatch(/round 1: tests_failed|round 1: runtime_error/);
  expect(stdout).toContain('patch for test_add (swap the operands): applied');
  expect(stdout).toMatch(/3 passed/);
  expect(stdout).toContain('final status: succeeded');
  const id = /sandbox (sbx_[0-9a-f]{32}) closed/.exec(stdout)?.[1];
  expect(id).toBeDefined();
  const info = await cluster.client.workflow.getHandle(id!).result();
  expect(info).toMatchObject({ status: 'closed', end: { reason: 'closed' } });
});
