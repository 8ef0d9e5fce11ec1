/**
 * Prometheus metrics from the real workers and the API: what an execution counts, and that a
 * replay (a query on a closed workflow) counts nothing again.
 */
import request from 'supertest';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { ApiProcess } from '../support/api-process';
import { eventually } from '../support/docker';

let cluster: TestCluster;
let api: TestApi;
/** The API as it runs in production, for its metrics listener. */
let apiProcess: ApiProcess | undefined;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  apiProcess = await ApiProcess.start({ address: cluster.address, keysFile: api.keys.file });
});

afterAll(async () => {
  await apiProcess?.stop();
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

test('the host worker serves its metrics, and the API serves queue backlog on its own metrics listener', async () => {
  const host = await scrape(cluster.host.metricsUrl());
  expect(host).toContain('# TYPE airlock_containers_reaped_total counter');
  expect(host).toContain('role="worker-host"');

  const metricsUrl = apiProcess!.metricsUrl();
  expect(new URL(metricsUrl).port).not.toBe(String(apiProcess!.port));
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(text).toContain('role="api"');
  for (const queue of ['orchestration-workflows', 'orchestration-activities', 'hosts']) {
    expect(sample(text, 'airlock_task_queue_backlog', { queue })).toBeGreaterThanOrEqual(0);
  }
  // The API's own port, which answers only calls with a key (and /healthz), serves none, with a key or without.
  for (const headers of [{}, { authorization: `Bearer ${api.key}` }] as Array<Record<string, string>>) {
    const onApiPort = await fetch(`${apiProcess!.url}/metrics`, { headers });
    expect(onApiPort.status).toBe(404);
    expect(await onApiPort.text()).not.toContain('airlock_task_queue_backlog');
  }
});
