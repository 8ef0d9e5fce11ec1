/**
 * A host promises its memory, never more: filled with large requests, it makes the next large one
 * wait for room while small ones that fit run beside them, and it refuses one larger than itself.
 * The host here has 1366 MB, so 1024 MB for sandboxes (a quarter is kept back).
 */
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { TestCluster } from '../support/cluster';
import type { ExecutionRequest } from '../../lib/schemas/execution-request';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ hostEnv: { AIRLOCK_HOST_MEMORY_MB: '1366' } });
});

afterAll(async () => {
  await cluster?.stop();
});

const stage = (result: ExecutionResult, name: string) => result.stages.find((s) => s.name === name)!;
const at = (iso: string | null) => Date.parse(iso!);
const sleeper = (memoryMb: number, seconds: number): ExecutionRequest => ({
  language: 'python',
  code: `import time\ntime.sleep(${seconds})\nprint('done')`,
  limits: { memoryMb },
});

test('a large request waits for room while a small one runs beside the large one already there', async () => {
  const first = (await cluster.submit(sleeper(768, 3))).executionId;
  await cluster.waitForStage(first, 'run', 'running');
  // 768 + 768 MB is more than the host has: the second waits. 768 + 128 fits: the small one runs now.
  const second = (await cluster.submit(sleeper(768, 0.5))).executionId;
  const small = (await cluster.submit(sleeper(128, 0))).executionId;

  const [firstDone, secondDone, smallDone] = await Promise.all([
    cluster.result(first),
    cluster.result(second),
    cluster.result(small),
  ]);
  for (const result of [firstDone, secondDone, smallDone]) expect(result.status).toBe('succeeded');
  expect(at(stage(smallDone, 'run').finishedAt)).toBeLessThan(at(stage(firstDone, 'run').finishedAt));
  // The second got its room only once the first's container was gone.
  expect(at(stage(secondDone, 'run').startedAt)).toBeGreaterThanOrEqual(at(stage(firstDone, 'teardown').finishedAt));
  expect(stage(secondDone, 'provision').durationMs).toBeGreaterThan(1_000);
});

test('a request larger than the whole host is refused with HostTooSmall, not left waiting', async () => {
  const result = await cluster.run(sleeper(2048, 0));
  expect(result.status).toBe('internal_error');
  expect(result.error).toMatchObject({ type: 'HostTooSmall' });
  expect(result.error!.message).toContain('2048 MB');
});
