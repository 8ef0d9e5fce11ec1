/**
 * lib/node/tracing.ts in one process: when it switches on, and the API's request spans, exported over
 * OTLP/HTTP to a receiver in this process.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import * as otel from '@opentelemetry/api';
import {
  httpRequestSpans,
  startTracing,
  stopTracing,
  tracingClientInterceptors,
  tracingConfigured,
  tracingEnabled,
  tracingWorkerInterceptors,
} from '../../lib/node/tracing';
import { createLogger } from '../../lib/node/logger';
import { OtlpReceiver } from '../support/otlp-receiver';

test.each([
  [{}, false],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
  [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, false],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }, false],
])('tracing is on for %j: %s', (env, on) => {
  expect(tracingConfigured(env)).toBe(on);
});

describe('with an OTLP endpoint', () => {
  const logLines: Array<Record<string, unknown>> = [];
  const log = createLogger('tracing-test', 'info', {
    write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  let receiver: OtlpReceiver;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    expect(tracingEnabled()).toBe(false);
    expect(tracingClientInterceptors()).toEqual({});
    expect(tracingWorkerInterceptors()).toEqual({});

    receiver = await OtlpReceiver.start();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    expect(await startTracing('airlock-test')).toBe(true);
    expect(tracingClientInterceptors().workflow).toHaveLength(1);
    expect(tracingWorkerInterceptors().activity).toHaveLength(1);

    const app = express();
    app.use('/v1', httpRequestSpans); // as the API mounts it
    app.use(express.json({ limit: '2mb' }));
    const things = express.Router();
    things.post('/', (req, res) => {
      otel.trace.getTracer('test').startActiveSpan('after the body', (span) => span.end());
      res.status(201).json({ size: JSON.stringify(req.body).length });
    });
    things.get('/:id', (req, res) => {
      // What a handler starts is a child of the request's span.
      otel.trace.getTracer('test').startActiveSpan('handler work', (span) => span.end());
      log.info({ id: req.params.id }, 'handled');
      res.json({ id: req.params.id });
    });
    things.get('/:id/broken', () => {
      throw new Error('broken');
    });
    app.use('/v1/things', things);
    app.get('/healthz', (_req, res) => void res.json({ ok: true }));
    app.use(((_err, _req, res, _next) => void res.status(500).end()) as express.ErrorRequestHandler);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await stopTracing();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    await receiver?.close();
  });

  test('a request is a server span named by its route, the parent of what its handler does', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect((await fetch(`${base}/v1/things/t1`, { headers: { traceparent } })).status).toBe(200);
    expect((await fetch(`${base}/v1/things/t2/broken`)).status).toBe(500);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // A body large enough to arrive in many chunks.
    const body = JSON.stringify({ a: 'x'.repeat(1_000_000) });
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    expect((await fetch(`${base}/v1/things`, post)).status).toBe(201);
    await stopTracing(); // flushes

    const ok = receiver.spans.find((s) => s.attributes['url.path'] === '/v1/things/t1');
    expect(ok).toMatchObject({
      name: 'GET /v1/things/:id',
      service: 'airlock-test',
      kind: 2,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      attributes: { 'http.route': '/v1/things/:id', 'http.response.status_code': 200 },
    });
    // A line logged in the handler names the request's trace and span.
    expect(logLines.find((l) => l.id === 't1')).toMatchObject({ traceId: ok!.traceId, spanId: ok!.spanId });
    expect(receiver.spans.find((s) => s.name === 'handler work')).toMatchObject({
      traceId: ok!.traceId,
      parentSpanId: ok!.spanId,
    });
    // Express has left the router when the error handler answers; the route is still known.
    const failed = receiver.spans.find((s) => s.attributes['url.path'] === '/v1/things/t2/broken');
    expect(failed).toMatchObject({
      name: 'GET /v1/things/:id/broken',
      parentSpanId: undefined,
      attributes: { 'http.response.status_code': 500 },
    });
    // The body is read in stream callbacks; the handler after them is still inside the request.
    const created = receiver.spans.find((s) => s.name === 'POST /v1/things');
    expect(receiver.spans.find((s) => s.name === 'after the body')?.parentSpanId).toBe(created!.spanId);
    // Probes are not API calls: no span.
    expect(receiver.spans.filter((s) => s.attributes['url.path'] === '/healthz')).toEqual([]);
    expect(tracingEnabled()).toBe(false);
  });
});
