/**
 * Tracing end to end, through real processes: the API, an orchestration worker and a host worker,
 * each exporting to an OTLP/HTTP receiver in this process. One execution submitted through the API
 * is one trace, from the HTTP request to the activity on the host; the workers' log lines about it
 * carry its execution id and that trace id. Its history, traced, replays against the built bundle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { ApiKeyStore } from '../../lib/node/api-keys';
import { AirlockMetrics } from '../../lib/node/metrics';
import { metricsSinks } from '../../workers/metrics-sinks';
import { connectWithRetry, createClient, workerDataConverter } from '../../lib/node/temporal';
import { workflowTracingSinks } from '../../lib/node/tracing';
import { WORKFLOW_BUNDLE_PATH } from '../../workers/workflow-bundle';
import { ApiProcess } from '../support/api-process';
import { eventually } from '../support/docker';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { readTestEnv } from '../support/test-env';
import { WorkerProcess } from '../support/worker-process';

const SERVER = 2;

let receiver: OtlpReceiver;
let orchestrator: WorkerProcess | undefined;
let host: WorkerProcess | undefined;
let api: ApiProcess | undefined;
let key: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') }); // for the replay at the end
  receiver = await OtlpReceiver.start();
  // A short batch delay, so spans arrive while the test waits rather than after 5 s.
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
  const { address } = readTestEnv().server;
  const keys = new ApiKeyStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-keys-')), 'keys.json'));
  key = keys.create('default', 'tracing test').key;
  [orchestrator, host, api] = await Promise.all([
    WorkerProcess.start('orchestration', { address, env }),
    WorkerProcess.start('host', { address, hostId: `test-host-tracing-${process.pid}`, env }),
    ApiProcess.start({ address, keysFile: keys.file, env }),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), orchestrator?.stop(), host?.stop()]);
  await receiver?.close();
});

/** Log lines (pino JSON) of a worker, parsed. */
function logLines(worker: WorkerProcess): Array<Record<string, unknown>> {
  return worker
    .logText()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('one execution submitted through the API is one trace, from the HTTP request to each activity', async () => {
  const res = await fetch(`${api!.url}/v1/executions?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python', code: 'print("traced")' }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { status: string }).status).toBe('succeeded');
  const executionId = res.headers.get('location')!.split('/').pop()!;

  const request = await eventually('the HTTP request span', async () =>
    receiver.spans.find((s) => s.name === 'POST /v1/executions' && s.service === 'airlock-api'),
  );
  expect(request.kind).toBe(SERVER);
  expect(request.parentSpanId).toBeUndefined();
  expect(request.attributes).toMatchObject({ 'http.route': '/v1/executions', 'http.response.status_code': 200 });
  const inTrace = () => receiver.spans.filter((s) => s.traceId === request.traceId);
  const named = (name: string, service: string) => inTrace().find((s) => s.name === name && s.service === service);

  // Each process exports what it ended last: the workflow's span, and the teardown on the host.
  await eventually(
    'the workflow and its teardown, in the same trace',
    async () =>
      named('RunWorkflow:executionWorkflow', 'airlock-worker-orchestration') &&
      named('RunActivity:teardownContainer', 'airlock-worker-host'),
  );
  // ?wait=true starts the workflow and asks for its result in one call: update-with-start.
  const start = named('UpdateWithStartWorkflow:executionResult', 'airlock-api');
  const run = named('RunWorkflow:executionWorkflow', 'airlock-worker-orchestration');
  expect(start).toMatchObject({ parentSpanId: request.spanId, attributes: { temporalWorkflowId: executionId } });
  expect(run?.parentSpanId).toBe(start!.spanId);

  const childOf = (span: ReceivedSpan | undefined) => inTrace().find((s) => s.spanId === span?.parentSpanId);
  for (const [activity, worker] of [
    ['evaluatePolicyGate', 'airlock-worker-orchestration'], // a local activity
    ['provisionContainer', 'airlock-worker-host'],
    ['runInContainer', 'airlock-worker-host'],
    ['teardownContainer', 'airlock-worker-host'],
  ]) {
    const ran = named(`RunActivity:${activity}`, worker!);
    expect(ran).toMatchObject({ attributes: { temporalWorkflowId: executionId } });
    const scheduled = childOf(ran);
    expect(scheduled).toMatchObject({ name: `StartActivity:${activity}`, service: 'airlock-worker-orchestration' });
    expect(scheduled!.parentSpanId).toBe(run!.spanId);
  }
  expect(receiver.rejected).toEqual([]);

  // The host's log lines about the execution name it, and the trace they belong to.
  const hostLines = logLines(host!).filter((l) => l.executionId === executionId);
  expect(hostLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['sandbox provisioned', 'sandbox removed']));
  for (const line of hostLines) expect(line.traceId).toBe(request.traceId);

  // The traced history replays against the bundle the workers run, with a worker's sinks.
  const connection = await connectWithRetry({ address: readTestEnv().server.address });
  try {
    const history = await createClient(connection, 'default').workflow.getHandle(executionId).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    expect(Object.keys(started.header?.fields ?? {})).toContain(TRACE_HEADER);
    const sinks = { ...metricsSinks(new AirlockMetrics('replay')), ...workflowTracingSinks() };
    // Straight from Temporal, so encrypted: replay decrypts with the workers' codec.
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH }, sinks, dataConverter: workerDataConverter() },
      history,
      executionId,
    );
  } finally {
    await connection.close();
  }
});
