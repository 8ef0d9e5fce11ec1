/**
 * sdk-python's own suite (pytest) against a real cluster and engine: the transport rules against a
 * fake server, then executions, events, cancel, sandboxes, files, approvals, audit exports and the
 * async client against this API.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { TestCluster } from '../support/cluster';
import { createTestApi, listen, type TestApi } from '../support/api';
import { runProgram } from '../support/cli';

/** The venv scripts/lib.sh (`ensure_sdk_python`) installs sdk-python and its pinned dev tools into. */
const PYTHON = process.env.AIRLOCK_SDK_PYTHON ?? path.join(PROJECT_ROOT, '.airlock/venvs/sdk-python/bin/python');

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

test('the Python SDK suite passes, none of it skipped', async () => {
  const run = await runProgram(PYTHON, ['-m', 'pytest', 'tests', '-q', '-rs', '-p', 'no:cacheprovider'], {
    cwd: path.join(PROJECT_ROOT, 'sdk-python'),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AIRLOCK_URL: server.url,
      AIRLOCK_API_KEY: api.key,
      AIRLOCK_APPROVER_KEY: api.reviewerKey,
    },
  });
  const output = `${run.stdout}${run.stderr}`;
  expect({ code: run.code, output }).toMatchObject({ code: 0 });
  expect(output).toMatch(/\b14 passed\b/);
  expect(output).not.toMatch(/skipped/);
});
