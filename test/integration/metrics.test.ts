/**
 * Prometheus metrics from the real workers and the API: what an execution counts, and that a
 * replay (a query on a closed workflow) counts nothing again.
 */
import request from 'supertest';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { eventually } from '../support/docker';

let cluster: TestCluster;
let api: TestApi;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
});

afterAll(async () => {
  await cluster?.stop();
});

/** The value of one sample, matched by name and the labels given (others may be present). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

const scrape = async (url: string) => (await fetch(url)).text();

test('an execution is counted once by status and language, with its stages timed', async () => {
  const orchestrator = cluster.orchestrator.metricsUrl();
  const before = sample(await scrape(orchestrator), 'airlock_executions_total', { language: 'ruby' }) ?? 0;
  const { executionId } = await cluster.submit({ language: 'ruby', code: 'puts 1' });
  expect((await cluster.result(executionId)).status).toBe('succeeded');

  const text = await eventually('the count', async () => {
    const t = await scrape(orchestrator);
    return sample(t, 'airlock_executions_total', { status: 'succeeded', language: 'ruby' }) === before + 1 && t;
  });
  expect(sample(text, 'airlock_stage_duration_seconds_count', { stage: 'run', outcome: 'succeeded' })).toBeGreaterThan(
    0,
  );
  expect(sample(text, 'airlock_execution_duration_seconds_count', { language: 'ruby' })).toBe(before + 1);

  // Reading the finished execution's events replays its history on the worker: no second count.
  const events = await request(api.app)
    .get(`/v1/executions/${executionId}/events`)
    .set('authorization', `Bearer ${api.key}`);
  expect(events.text).toContain('event: end');
  expect(sample(await scrape(orchestrator), 'airlock_executions_total', { language: 'ruby' })).toBe(before + 1);
});

test('the host worker serves its metrics, and the API serves queue backlog without a key', async () => {
  const host = await scrape(cluster.host.metricsUrl());
  expect(host).toContain('# TYPE airlock_containers_reaped_total counter');
  expect(host).toContain('role="worker-host"');
  const res = await request(api.app).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  for (const queue of ['orchestration-workflows', 'orchestration-activities', 'hosts']) {
    expect(sample(res.text, 'airlock_task_queue_backlog', { queue })).toBeGreaterThanOrEqual(0);
  }
});
