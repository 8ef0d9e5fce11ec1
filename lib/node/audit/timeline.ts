import crypto from 'node:crypto';
import type { ExecutionInput } from '../../schemas/execution-request';
import type { ImageRef } from '../../schemas/execution-result';
import {
  approvalDecisions,
  completedResult,
  executionInput,
  historyEvents,
  leaseEvents,
  recordedActivities,
  timeOf,
  type HistoryEvent,
} from './history-events';
import type { GateResult } from '../../schemas/findings';
import type { ExecutionPlan } from '../../schemas/policy';
import { STAGE_NAMES } from '../../vocabulary';

export interface TimelineEntry {
  at: string;
  what: string;
  detail: string;
}

/** What an auditor needs from one execution's history, every item read from the recorded events. */
export interface AuditReport {
  executionId: string;
  submitter: { tenant: string; keyId: string };
  language: string;
  /** The tenant's template the code ran on, as the API resolved it (the image's own labels are in `image`). */
  template: { id: string; sha256: string } | null;
  code: { sha256: string; files: Array<{ path: string; sha256: string; bytes: number }> };
  policy: { name: string; sha256: string } | null;
  image: ImageRef | null;
  host: string | null;
  gates: Array<Pick<GateResult, 'gate' | 'verdict' | 'findings' | 'error'>>;
  approvals: Array<{
    decision: 'approved' | 'rejected';
    /** The approving key's label (or id); in histories from before approvers, the text the caller gave. */
    reviewer: string;
    comment: string | null;
    keyId: string | null;
    /** The approving key's tenant; null in histories from before approvers. */
    tenant: string | null;
    at: string;
  }>;
  result: { status: string; exitCode: number | null; error: string | null } | null;
  teardown: { confirmed: boolean; detail: string };
  timeline: TimelineEntry[];
}

/** The code's identity: a digest over every submitted file's path and bytes, in path order. */
export function codeDigest(files: ExecutionInput['files']): AuditReport['code'] {
  const digests = [...files]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((f) => {
      const bytes = Buffer.from(f.content, f.encoding);
      return { path: f.path, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    });
  const sha256 = crypto
    .createHash('sha256')
    .update(digests.map((d) => `${d.sha256}  ${d.path}\n`).join(''))
    .digest('hex');
  return { sha256, files: digests };
}

/** Builds the audit report from a history in proto-JSON (as exported by the API, the CLI or `temporal workflow show`). */
export function auditReport(historyJson: unknown): AuditReport {
  const events = historyEvents(historyJson);
  const input = executionInput(events);

  const report: AuditReport = {
    executionId: input.executionId,
    submitter: { tenant: input.tenant, keyId: input.keyId },
    language: input.language,
    template: input.template ? { id: input.template.id, sha256: input.template.sha256 } : null,
    code: codeDigest([...input.files, ...(input.tests?.files ?? [])]),
    policy: null,
    image: null,
    host: null,
    gates: [],
    approvals: [],
    result: null,
    teardown: { confirmed: false, detail: 'no teardown recorded' },
    timeline: [],
  };
  const note = (event: HistoryEvent, what: string, detail: string) =>
    report.timeline.push({ at: timeOf(event), what, detail });
  note(
    events[0]!,
    'submitted',
    `tenant ${input.tenant}, key ${input.keyId}, ${input.language}` +
      (input.template ? `, template ${input.template.id} (spec sha256 ${input.template.sha256})` : '') +
      `, code sha256 ${report.code.sha256}`,
  );

  const timeline: Array<{ event: HistoryEvent; record: () => void }> = [];
  for (const activity of recordedActivities(events)) {
    timeline.push({
      event: activity.event,
      record: () =>
        activity.failure !== undefined
          ? note(activity.event, `${activity.type} failed`, activity.failure)
          : recordActivity(report, activity.event, activity.type, activity.result, note),
    });
  }
  for (const { event, decision: d } of approvalDecisions(events)) {
    timeline.push({
      event,
      record: () => {
        // The result's vocabulary (`approved`, `rejected`), not the request's verb.
        const decision = d.decision === 'approve' ? 'approved' : 'rejected';
        const keyId = d.approver?.keyId ?? d.keyId ?? null;
        const reviewer = d.approver ? d.approver.label || d.approver.keyId : (d.reviewer ?? '');
        report.approvals.push({
          decision,
          reviewer,
          comment: d.comment ?? null,
          keyId,
          tenant: d.approver?.tenant ?? null,
          at: timeOf(event),
        });
        note(
          event,
          'approval',
          `${decision} by ${reviewer}${keyId ? ` (key ${keyId})` : ''}${d.comment ? `: ${d.comment}` : ''}`,
        );
      },
    });
  }
  for (const { event, what } of leaseEvents(events)) {
    const detail =
      what === 'queued'
        ? `over tenant ${input.tenant}'s quota: waiting for a lease`
        : what === 'admitted'
          ? 'lease granted'
          : 'after teardown';
    timeline.push({ event, record: () => note(event, what, detail) });
  }
  const completed = completedResult(events);
  if (completed) {
    timeline.push({
      event: completed.event,
      record: () => {
        const { result, event } = completed;
        const output = result.gates.find((g) => g.gate === 'output');
        if (output)
          report.gates.push({
            gate: output.gate,
            verdict: output.verdict,
            findings: output.findings,
            error: output.error,
          });
        if (result.approval?.decision === 'timed_out') note(event, 'approval', 'timed out: no reviewer decided');
        report.result = {
          status: result.status,
          exitCode: result.run?.exitCode ?? null,
          error: result.error ? `${result.error.type}: ${result.error.message}` : null,
        };
        note(event, 'finished', `${result.status}${result.error ? ` (${result.error.type})` : ''}`);
      },
    });
  }
  // In history order, as the events happened.
  timeline.sort((a, b) => Number(a.event.eventId ?? 0) - Number(b.event.eventId ?? 0)).forEach((t) => t.record());
  // The pre-run gates run concurrently and finish in any order; the report lists them in pipeline order.
  report.gates.sort((a, b) => pipelineOrder(a.gate) - pipelineOrder(b.gate));
  return report;
}

/** A gate's place in the pipeline; the output gate (no stage of its own) comes after the run. */
function pipelineOrder(gate: string): number {
  const index = (STAGE_NAMES as readonly string[]).indexOf(gate);
  return index === -1 ? STAGE_NAMES.length : index;
}

function recordActivity(
  report: AuditReport,
  event: HistoryEvent,
  type: string,
  value: unknown,
  note: (event: HistoryEvent, what: string, detail: string) => void,
): void {
  switch (type) {
    case 'evaluatePolicyGate': {
      const plan = value as ExecutionPlan;
      report.policy = plan.policy;
      note(
        event,
        'policy gate',
        `${plan.decision} under ${plan.policy.name} (sha256 ${plan.policy.sha256})${plan.reasons.length ? `: ${plan.reasons.join('; ')}` : ''}`,
      );
      break;
    }
    case 'checkSecrets':
    case 'checkImports':
    case 'runStaticAnalysis': {
      const gate = value as GateResult;
      report.gates.push({ gate: gate.gate, verdict: gate.verdict, findings: gate.findings, error: gate.error });
      const first = gate.findings[0];
      note(
        event,
        `${gate.gate} gate`,
        `${gate.verdict}, ${gate.findings.length} finding(s)${first ? `, e.g. ${first.ruleId} at ${first.location?.path}:${first.location?.line ?? '?'}` : ''}${gate.error ? `; ${gate.error}` : ''}`,
      );
      break;
    }
    case 'provisionContainer': {
      const sandbox = value as { hostId: string; image: ImageRef };
      report.image = sandbox.image;
      report.host = sandbox.hostId;
      note(
        event,
        'provisioned',
        `host ${sandbox.hostId}, image ${sandbox.image.id} (definition sha256 ${sandbox.image.definitionSha256}, ${sandbox.image.runtimeVersion})` +
          (sandbox.image.template
            ? `, template ${sandbox.image.template.id} (spec sha256 ${sandbox.image.template.sha256})`
            : ''),
      );
      break;
    }
    case 'teardownContainer': {
      const { removed } = value as { removed: boolean };
      report.teardown = { confirmed: true, detail: removed ? 'container removed' : 'container was already gone' };
      note(event, 'teardown', report.teardown.detail);
      break;
    }
    case 'compileInContainer':
    case 'execInContainer': {
      const p = value as { exitCode: number | null; limitExceeded: string | null; wallMs: number };
      note(
        event,
        type === 'compileInContainer' ? 'compiled' : 'ran',
        `exit ${p.exitCode}${p.limitExceeded ? `, ${p.limitExceeded} limit` : ''}, ${p.wallMs} ms`,
      );
      break;
    }
    case 'runCasesInContainer': {
      const cases = value as Array<{ status: string }>;
      note(event, 'ran cases', `${cases.filter((c) => c.status === 'succeeded').length}/${cases.length} passed`);
      break;
    }
    case 'runTestsInContainer': {
      const { report: tests } = value as { report: { passed: number; total: number } };
      note(event, 'tests', `${tests.passed}/${tests.total} passed`);
      break;
    }
    default:
      break;
  }
}
