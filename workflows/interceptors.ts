/**
 * Workflow interceptors, bundled with the workflows (see workers/workflow-bundle.ts): OpenTelemetry
 * spans for a workflow whose starter was tracing, that is, whose start carried a trace context in
 * its headers. RunWorkflow continues the caller's StartWorkflow, and each activity (local ones
 * included) gets a StartActivity span whose context travels to it in the activity's headers.
 *
 * A workflow started without a trace context (its starter was not tracing) runs as if the
 * interceptors were not there: no spans, no sink calls, no trace headers on its activities. The
 * start's headers are in history, so replay takes the same branch.
 *
 * They add no commands: headers are not part of replay's comparison, and what the interceptors
 * added in later SDK versions is gated by SDK flags, so histories recorded without them replay
 * unchanged. The spans leave the sandbox through the `exporter` sink (lib/node/tracing.ts), which replay
 * never calls.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => {
  let traced: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor } | undefined;
  return {
    inbound: [
      {
        execute(input, next) {
          if (!(TRACE_HEADER in input.headers)) return next(input);
          traced = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor() };
          return traced.inbound.execute(input, next);
        },
        handleSignal: (input, next) => (traced ? traced.inbound.handleSignal(input, next) : next(input)),
        handleUpdate: (input, next) => (traced ? traced.inbound.handleUpdate(input, next) : next(input)),
        validateUpdate: (input, next) => (traced ? traced.inbound.validateUpdate(input, next) : next(input)),
        handleQuery: (input, next) => (traced ? traced.inbound.handleQuery(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => (traced ? traced.outbound.scheduleActivity(input, next) : next(input)),
        scheduleLocalActivity: (input, next) =>
          traced ? traced.outbound.scheduleLocalActivity(input, next) : next(input),
        startChildWorkflowExecution: (input, next) =>
          traced ? traced.outbound.startChildWorkflowExecution(input, next) : next(input),
        startNexusOperation: (input, next) => (traced ? traced.outbound.startNexusOperation(input, next) : next(input)),
        continueAsNew: (input, next) => (traced ? traced.outbound.continueAsNew(input, next) : next(input)),
        signalWorkflow: (input, next) => (traced ? traced.outbound.signalWorkflow(input, next) : next(input)),
        getLogAttributes: (input, next) => (traced ? traced.outbound.getLogAttributes(input, next) : next(input)),
      },
    ],
    internals: [
      {
        dispose: (input, next) =>
          traced ? void new OpenTelemetryInternalsInterceptor().dispose(input, next) : next(input),
      },
    ],
  };
};
