/**
 * OpenTelemetry tracing, one trace per API request: the HTTP span, StartWorkflow, the workflow's
 * RunWorkflow and StartActivity spans (made inside the workflow sandbox and handed out through a
 * sink; see workflows/interceptors.ts), and RunActivity on whichever worker runs each activity.
 * The context travels in Temporal headers, so the trace crosses processes and machines.
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: then no
 * provider, exporter or interceptor is installed, and the SDK is not even loaded. Spans go out as
 * OTLP over HTTP with JSON bodies; the exporter and the batch processor read the other standard
 * OTEL_* variables (headers, timeouts, batch sizes, sampler) themselves.
 */
import * as otel from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import type { Resource } from '@opentelemetry/resources';
import type { NodeTracerProvider, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type * as clientInterceptors from '@temporalio/interceptors-opentelemetry/lib/client';
import type * as workerInterceptors from '@temporalio/interceptors-opentelemetry/lib/worker';

interface ActiveTracing {
  provider: NodeTracerProvider;
  processor: SpanProcessor;
  resource: Resource;
  client: typeof clientInterceptors;
  worker: typeof workerInterceptors;
}

let active: ActiveTracing | undefined;

/** Whether the environment asks for traces: an OTLP endpoint, and the SDK not disabled. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/**
 * Installs the process-wide tracer provider when the environment asks for traces; once per process,
 * before any Temporal client or worker is made. `serviceName` names the role (OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES still override it). Resolves to whether tracing is on.
 */
export async function startTracing(serviceName: string): Promise<boolean> {
  if (active || !tracingConfigured()) return active !== undefined;
  // Loaded here, not at the top: the SDK takes a process about 100 ms to load.
  const [{ BatchSpanProcessor, NodeTracerProvider }, { OTLPTraceExporter }, resources, client, worker] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@temporalio/interceptors-opentelemetry/lib/client'),
      import('@temporalio/interceptors-opentelemetry/lib/worker'),
    ]);
  const resource = resources.Resource.default()
    .merge(new resources.Resource({ 'service.name': serviceName }))
    .merge(resources.detectResourcesSync({ detectors: [resources.envDetectorSync] }));
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Also the W3C propagator the interceptors write into headers, and the async-hooks context manager.
  provider.register();
  active = { provider, processor, resource, client, worker };
  return true;
}

export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** Exports what is still buffered; call before the process exits. */
export async function stopTracing(): Promise<void> {
  const current = active;
  active = undefined;
  await current?.provider.shutdown();
}

/** For every Temporal client: StartWorkflow, SignalWorkflow, QueryWorkflow … spans, the context in headers. */
export function tracingClientInterceptors(): ClientInterceptors {
  return active ? { workflow: [new active.client.OpenTelemetryWorkflowClientInterceptor()] } : {};
}

/** For every worker: a RunActivity span per activity, local ones included, under the span that scheduled it. */
export function tracingWorkerInterceptors(): WorkerInterceptors {
  const interceptor = active?.worker.OpenTelemetryActivityInboundInterceptor;
  return interceptor ? { activity: [(ctx) => ({ inbound: new interceptor(ctx) })] } : {};
}

/**
 * The sink the bundled workflow interceptors export their spans through. Always registered,
 * because the interceptors are always in the bundle; with tracing off here it drops the spans.
 * Never called during replay, so a replayed history is not exported twice.
 */
export function workflowTracingSinks(): InjectedSinks<OpenTelemetrySinks> {
  if (active) return { exporter: active.worker.makeWorkflowExporter(active.processor, active.resource) };
  return { exporter: { export: { fn: () => undefined, callDuringReplay: false } } };
}

/**
 * Express middleware: a server span per request (attributes by the HTTP semantic conventions),
 * continuing a `traceparent` the caller sent. What the handlers do (StartWorkflow and everything
 * after it) becomes its child. Mount it before the body parser and the routes.
 */
export const httpRequestSpans: RequestHandler = (req, res, next) => {
  const parent = otel.propagation.extract(otel.context.active(), req.headers);
  const span = otel.trace.getTracer('airlock-api').startSpan(
    req.method,
    {
      kind: otel.SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.originalUrl.split('?')[0] },
    },
    parent,
  );
  const route = recordRoute(req);
  res.once('close', () => {
    const template = route();
    if (template) {
      span.updateName(`${req.method} ${template}`);
      span.setAttribute('http.route', template);
    }
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
    span.end();
  });
  // Express 5's body parser keeps the async context across the body's stream callbacks.
  otel.context.with(otel.trace.setSpan(parent, span), next);
};

/**
 * The matched route (`/v1/executions/:id`), for the span's name. Read when the router sets
 * `req.route`, because Express resets `req.baseUrl` when a handler fails and the error handler answers.
 */
function recordRoute(req: Request): () => string | undefined {
  let route: unknown;
  let template: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      if (typeof value?.path === 'string') template = `${req.baseUrl}${value.path === '/' ? '' : value.path}` || '/';
    },
  });
  return () => template;
}
