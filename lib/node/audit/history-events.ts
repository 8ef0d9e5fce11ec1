/**
 * What an execution's history recorded, read event by event: its input, each activity's result
 * (local ones from their markers), each approval decision and the result it ended with. The audit
 * report, the seal and its verification all read a history through these, so they read it alike.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { ExecutionInput } from '../../schemas/execution-request';
import type { ApprovalDecision, ExecutionResult } from '../../schemas/execution-result';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The marker the SDK records a local activity's outcome in. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export function decode<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined {
  const first = payloads?.payloads?.[0];
  return first ? (defaultPayloadConverter.fromPayload(first as Payload) as T) : undefined;
}

export function timeOf(event: HistoryEvent): string {
  const t = event.eventTime;
  return t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : '';
}

/** The events of a history in proto-JSON (as the API, the CLI or `temporal workflow show` export it). */
export function historyEvents(historyJson: unknown): HistoryEvent[] {
  return historyFromJSON(historyJson).events ?? [];
}

export function executionInput(events: HistoryEvent[]): ExecutionInput {
  const input = decode<ExecutionInput>(events[0]?.workflowExecutionStartedEventAttributes?.input);
  if (!input) throw new Error('not an Airlock execution history: the first event carries no execution input');
  return input;
}

export interface RecordedActivity {
  event: HistoryEvent;
  type: string;
  /** Its result when it completed. */
  result?: unknown;
  /** Its failure's message when it failed. */
  failure?: string;
  /** The argument it was scheduled with (not recorded for local activities). */
  input?: unknown;
}

/** Every activity outcome, in history order. */
export function recordedActivities(events: HistoryEvent[]): RecordedActivity[] {
  const scheduled = new Map<string, { type: string; input: unknown }>();
  const out: RecordedActivity[] = [];
  for (const event of events) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), { type: s.activityType?.name ?? '', input: decode<unknown>(s.input) });
    const done = event.activityTaskCompletedEventAttributes;
    if (done) {
      const at = scheduled.get(String(done.scheduledEventId));
      out.push({ event, type: at?.type ?? '', input: at?.input, result: decode<unknown>(done.result) });
    }
    const failed = event.activityTaskFailedEventAttributes;
    if (failed) {
      const at = scheduled.get(String(failed.scheduledEventId));
      out.push({ event, type: at?.type ?? '', input: at?.input, failure: failed.failure?.message ?? '' });
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      const type = decode<{ activity_type?: string }>(marker.details?.data)?.activity_type ?? '';
      if (marker.failure) out.push({ event, type, failure: marker.failure.message ?? '' });
      else out.push({ event, type, result: decode<unknown>(marker.details?.result) });
    }
  }
  return out;
}

/** Every approval decision the workflow accepted, in order. */
export function approvalDecisions(events: HistoryEvent[]): Array<{ event: HistoryEvent; decision: ApprovalDecision }> {
  const out: Array<{ event: HistoryEvent; decision: ApprovalDecision }> = [];
  for (const event of events) {
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted?.acceptedRequest?.input?.name !== 'decideApproval') continue;
    const decision = decode<ApprovalDecision>(accepted.acceptedRequest.input.args);
    if (decision) out.push({ event, decision });
  }
  return out;
}

/** Names of the lease signals (workflows/messages.ts), as history records them. */
const LEASE_SIGNALS: Record<string, string> = {
  leaseWaiting: 'queued',
  leaseGranted: 'admitted',
  releaseLease: 'lease released',
};

/** The execution's tenant lease as history has it: queued, admitted, released (none without a quota). */
export function leaseEvents(events: HistoryEvent[]): Array<{ event: HistoryEvent; what: string }> {
  const out: Array<{ event: HistoryEvent; what: string }> = [];
  for (const event of events) {
    const name =
      event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
      event.workflowExecutionSignaledEventAttributes?.signalName;
    const what = name ? LEASE_SIGNALS[name] : undefined;
    if (what) out.push({ event, what });
  }
  return out;
}

/** The result the workflow completed with, or null while it runs (or when it failed or was terminated). */
export function completedResult(events: HistoryEvent[]): { event: HistoryEvent; result: ExecutionResult } | null {
  for (const event of events) {
    const result = decode<ExecutionResult>(event.workflowExecutionCompletedEventAttributes?.result);
    if (result) return { event, result };
  }
  return null;
}
