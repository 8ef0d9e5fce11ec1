/**
 * Tracing adds no commands: every recorded history replays against the workflow bundle built the
 * way `npm run build` builds it, with the tracing interceptors in it and the sinks a worker
 * registers; as recorded (started without a trace context), and with a trace context put into its
 * start, so the interceptors make their spans while it replays.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type LogEntry,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import type { SerializableSpan } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { AirlockMetrics } from '../../lib/node/metrics';
import { metricsSinks } from '../../workers/metrics-sinks';
import { workflowTracingSinks } from '../../lib/node/tracing';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/workflow-bundle';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

interface HistoryJson {
  events: Array<{
    eventType: string;
    markerRecordedEventAttributes?: { markerName: string };
    workflowExecutionStartedEventAttributes?: { header?: { fields?: Record<string, unknown> } };
  }>;
}
const readHistory = (file: string): HistoryJson => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));

/** Activities scheduled on a task queue, and local activities (recorded as markers). */
function scheduledActivities(history: HistoryJson): number {
  return history.events.filter(
    (e) =>
      e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' ||
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  ).length;
}

/** Whether the history ends with its workflow closing (the quota workflow's fixture is still running). */
function closed(history: HistoryJson): boolean {
  return /^EVENT_TYPE_WORKFLOW_EXECUTION_(COMPLETED|FAILED|CANCELED|TERMINATED|TIMED_OUT|CONTINUED_AS_NEW)$/.test(
    history.events.at(-1)?.eventType ?? '',
  );
}

/** The history as if its starter had been tracing: a W3C trace context in the start's headers. */
function startedInTrace(history: HistoryJson, traceId: string, spanId: string): HistoryJson {
  const copy = structuredClone(history);
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  copy.events[0]!.workflowExecutionStartedEventAttributes!.header = {
    fields: {
      [TRACE_HEADER]: {
        metadata: { encoding: base64('json/plain') },
        data: base64(JSON.stringify({ traceparent: `00-${traceId}-${spanId}-01` })),
      },
    },
  };
  return copy;
}

/** A worker's sinks, but the exporter runs during replay too, to show what the interceptors made. */
function recordingSinks(spans: SerializableSpan[]) {
  const exporter = { fn: (_info: unknown, batch: SerializableSpan[]) => void spans.push(...batch) };
  return {
    ...metricsSinks(new AirlockMetrics('replay')),
    exporter: { export: { ...exporter, callDuringReplay: true } },
  };
}

const sdkWarnings: LogEntry[] = [];
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN', (entry) => sdkWarnings.push(entry)) });
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: new DefaultLogger('WARN'),
  });
}, 120_000);

beforeEach(() => {
  sdkWarnings.length = 0;
});

test.each(fixtures)(
  '%s, started in a trace, replays with the interceptors making its spans',
  async (file) => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const history = readHistory(file);
    const spans: SerializableSpan[] = [];
    await expect(
      Worker.runReplayHistory(
        { workflowBundle, sinks: recordingSinks(spans) },
        startedInTrace(history, traceId, spanId),
        file,
      ),
    ).resolves.toBeUndefined();

    // RunWorkflow under the starter's span (ended once the workflow closes), and a StartActivity
    // under it for every activity the history scheduled. (Signal spans continue their sender's
    // trace, absent in these histories.)
    const runs = spans.filter((s) => s.name.startsWith('RunWorkflow:'));
    expect(runs).toHaveLength(closed(history) ? 1 : 0);
    for (const run of runs) expect(run).toMatchObject({ spanContext: { traceId }, parentSpanId: spanId });
    const starts = spans.filter((s) => s.name.startsWith('StartActivity:'));
    expect(starts).toHaveLength(scheduledActivities(history));
    for (const span of starts) expect(span.spanContext.traceId).toBe(traceId);
  },
  60_000,
);

test('histories as recorded, started without a trace context, replay untouched: no spans at all', async () => {
  const spans: SerializableSpan[] = [];
  for (const file of fixtures) {
    await expect(
      Worker.runReplayHistory({ workflowBundle, sinks: recordingSinks(spans) }, readHistory(file), file),
    ).resolves.toBeUndefined();
  }
  expect(spans).toEqual([]);
}, 120_000);

test("a worker's sinks (metrics, and tracing switched off) cover the bundle, and replay exports nothing", async () => {
  const sinks = { ...metricsSinks(new AirlockMetrics('replay')), ...workflowTracingSinks() };
  const exported = jest.spyOn(sinks.exporter.export, 'fn');
  for (const file of fixtures) {
    const history = startedInTrace(readHistory(file), '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7');
    await expect(Worker.runReplayHistory({ workflowBundle, sinks }, history, file)).resolves.toBeUndefined();
  }
  expect(exported).not.toHaveBeenCalled();
  expect(sdkWarnings.map((w) => w.message)).toEqual([]);
}, 120_000);
