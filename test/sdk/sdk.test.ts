/**
 * The TypeScript SDK against the real service: the API on a socket, real workers, real containers.
 */
import { Airlock, AirlockConflictError, AirlockError, AirlockNotFoundError, type LiveEvent } from '../../sdk/src';
import { TestCluster } from '../support/cluster';
import { eventually } from '../support/docker';
import { createTestApi, listen, type TestApi } from '../support/api';

let cluster: TestCluster;
let api: TestApi;
let server: Awaited<ReturnType<typeof listen>>;
let airlock: Airlock;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  server = await listen(api.app);
  airlock = new Airlock({ baseUrl: server.url, apiKey: api.key });
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

test('runs an execution and streams its events', async () => {
  const exec = await airlock.executions.create({
    language: 'python',
    code: "import time\nprint('a', flush=True)\ntime.sleep(1.5)\nprint('b')",
  });
  const events: Array<{ event: LiveEvent; at: number }> = [];
  const started = Date.now();
  for await (const event of exec.events()) events.push({ event, at: Date.now() - started });
  const firstOutput = events.find((e) => e.event.type === 'stdout')!;
  expect(firstOutput.event.data).toEqual({ stage: 'run', text: 'a\n' });
  expect(events.at(-1)!.at - firstOutput.at).toBeGreaterThan(1_000);
  expect(events.at(-1)!.event.type).toBe('end');
  const result = await exec.result();
  expect(result).toMatchObject({ status: 'succeeded', run: { stdout: 'a\nb\n' } });
  expect(await airlock.executions.run({ language: 'javascript', code: 'console.log(6 * 7)' })).toMatchObject({
    status: 'succeeded',
    run: { stdout: '42\n' },
  });
});

test('works in a sandbox step by step, and the sandbox refuses steps once closed', async () => {
  const sbx = await airlock.sandboxes.create({ language: 'python' });
  try {
    expect(sbx.info.status).toBe('ready');
    await sbx.files.write('calc.py', 'def add(a, b):\n    return a - b\n');
    const failing = await sbx.run('from calc import add\nassert add(2, 3) == 5, add(2, 3)');
    expect(failing.status).toBe('runtime_error');
    expect(failing.process?.stderr).toContain('AssertionError: -1');
    await sbx.files.write('calc.py', 'def add(a, b):\n    return a + b\n');
    expect((await sbx.run('from calc import add\nprint(add(2, 3))')).process?.stdout).toBe('5\n');
    expect(await sbx.files.readText('calc.py')).toContain('a + b');
    expect((await sbx.files.list()).map((e) => e.name)).toContain('calc.py');
    expect((await sbx.exec(['python3', '-c', 'print(1)'])).process?.stdout).toBe('1\n');
    // A step started and then cancelled: killed, it says so, and there is nothing left to cancel.
    const long = await sbx.start({ command: 'sleep 60' });
    await eventually('the step to run', async () => (await sbx.refresh()).status === 'busy');
    await long.cancel();
    expect(await long.result()).toMatchObject({ status: 'cancelled', error: { type: 'StepCancelled' } });
    await expect(long.cancel()).rejects.toBeInstanceOf(AirlockNotFoundError);
  } finally {
    expect((await sbx.close()).status).toBe('closed');
  }
  await expect(sbx.run('print(1)')).rejects.toBeInstanceOf(AirlockConflictError);
  await expect(sbx.run('print(1)')).rejects.toMatchObject({ status: 409, code: 'sandbox_ended' });
});

test('API errors arrive typed, with the field at fault', async () => {
  await expect(airlock.sandboxes.get('sbx_0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(
    AirlockNotFoundError,
  );
  const wrong = await airlock.sandboxes.create({ language: 'python', policy: 'nope' }).catch((e: unknown) => e);
  expect(wrong).toBeInstanceOf(AirlockError);
  expect(wrong).toMatchObject({ status: 400, code: 'invalid_request', field: 'policy' });
});

test('an AbortSignal cancels a step the client no longer waits for', async () => {
  const sbx = await airlock.sandboxes.create({ language: 'python' });
  try {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sbx.run('import time\ntime.sleep(5)', { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toMatchObject({ name: expect.stringMatching(/Abort/) });
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    await sbx.close();
  }
});
