import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BuildFailureDetails, TemplateActivities } from '../activities/templates';
import { ErrorType } from '../lib/errors';
import { TEMPLATE_BUILDS_QUEUE } from '../lib/task-queues';
import type { ParsedTemplateSpec, TemplateInfo } from '../lib/schemas/template';
import { deleteTemplateUpdate, eventsQuery, outputChunkSignal, templateStateQuery } from './messages';
import { LiveLog } from './live-log';

/** The scope of a build's live events (activities/templates/build-log.ts sends under it too). */
const BUILD_SCOPE = 'build';

export interface TemplateWorkflowInput {
  templateId: string;
  name: string;
  tenant: string;
  sha256: string;
  spec: ParsedTemplateSpec;
  runtime: TemplateInfo['runtime'];
  /** The tag it is built as. */
  image: string;
  createdAt: string;
  /** The whole build's time limit: the activity's own deadline is inside it. */
  buildTimeoutMs: number;
}

/**
 * One template of one tenant: built once, by whichever host takes it, then kept until it is deleted.
 * Its id is the tenant and the spec's hash, so the same spec is the same template.
 */
export async function templateWorkflow(input: TemplateWorkflowInput): Promise<TemplateInfo> {
  const state: TemplateInfo = {
    id: input.templateId,
    name: input.name,
    tenant: input.tenant,
    status: 'building',
    sha256: input.sha256,
    spec: input.spec,
    runtime: input.runtime,
    image: null,
    sizeBytes: null,
    installed: null,
    log: null,
    logTail: null,
    error: null,
    createdAt: input.createdAt,
    finishedAt: null,
  };
  const live = new LiveLog();
  let hostQueue: string | null = null;
  setHandler(templateStateQuery, () => state);
  setHandler(eventsQuery, ({ after }) => live.after(after));
  setHandler(outputChunkSignal, (chunk) => live.chunk(chunk));
  // The handler only asks; the workflow's own body removes the image, as a sandbox's close does.
  let deleteAsked = false;
  let refusal: string | null = null;
  setHandler(
    deleteTemplateUpdate,
    async (_input: Record<string, never>) => {
      deleteAsked = true;
      refusal = null;
      await condition(() => state.status === 'deleted' || refusal !== null);
      if (state.status !== 'deleted') {
        throw ApplicationFailure.create({ message: refusal ?? 'not deleted', type: ErrorType.TemplateInUse });
      }
      return state;
    },
    {
      validator: (_input: Record<string, never>) => {
        if (state.status === 'building') throw new Error('the template is still building');
        if (state.status === 'deleted') throw new Error('the template is already deleted');
      },
    },
  );

  live.stage(BUILD_SCOPE, 'build', 'running');
  try {
    const built = await builds(input.buildTimeoutMs).buildTemplate({
      workflowId: workflowInfo().workflowId,
      templateId: input.templateId,
      tenant: input.tenant,
      sha256: input.sha256,
      spec: input.spec,
      runtime: input.runtime,
      image: input.image,
    });
    hostQueue = built.taskQueue;
    Object.assign(state, {
      status: 'ready',
      image: built.image,
      sizeBytes: built.sizeBytes,
      installed: built.installed,
    });
    state.log = built.log;
    live.stage(BUILD_SCOPE, 'build', 'passed');
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const details =
      cause instanceof ApplicationFailure && cause.type === ErrorType.TemplateBuildFailed
        ? (cause.details?.[0] as BuildFailureDetails | undefined)
        : undefined;
    state.status = 'failed';
    state.error = cause instanceof Error ? cause.message : String(cause);
    state.logTail = details?.logTail ?? null;
    state.log = details?.log ?? null;
    live.stage(BUILD_SCOPE, 'build', 'failed', state.error);
  }
  state.finishedAt = new Date().toISOString();
  live.end(BUILD_SCOPE, state.status);
  for (;;) {
    await condition(() => deleteAsked);
    deleteAsked = false;
    if (state.image && hostQueue) {
      const { removed } = await imageRemoval(hostQueue).removeTemplateImage({ image: state.image });
      if (!removed) {
        refusal = 'a container still uses its image';
        continue;
      }
    }
    state.status = 'deleted';
    break;
  }
  await condition(allHandlersFinished);
  return state;
}

function builds(buildTimeoutMs: number) {
  return proxyActivities<TemplateActivities>({
    taskQueue: TEMPLATE_BUILDS_QUEUE,
    startToCloseTimeout: buildTimeoutMs + 120_000,
    heartbeatTimeout: '30 seconds',
    // A host lost mid-build: another builds it again. A build that failed on its own is final.
    retry: { maximumAttempts: 2, nonRetryableErrorTypes: [ErrorType.TemplateBuildFailed] },
  });
}

function imageRemoval(taskQueue: string) {
  return proxyActivities<TemplateActivities>({
    taskQueue,
    scheduleToStartTimeout: '1 minute',
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 3 },
  });
}
