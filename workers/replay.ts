import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { prebuiltWorkflowBundle } from './workflow-bundle';
import { replaySinks } from './metrics-sinks';
import { FAILURE_CONVERTER_PATH, workerDataConverter } from '../lib/node/temporal';

let runtimeInstalled = false;

/**
 * Replays a history against the workflow code of this checkout: it throws when that code would
 * not have made the same decisions (a determinism violation). Needs no server.
 */
export async function replayAgainstCurrentCode(historyJson: unknown, workflowId: string): Promise<void> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  await Worker.runReplayHistory(
    { workflowBundle: await currentBundle(), sinks: replaySinks(), dataConverter: workerDataConverter() },
    historyJson,
    workflowId,
  );
}

async function currentBundle(): Promise<WorkflowBundleOption> {
  const prebuilt = prebuiltWorkflowBundle();
  if (prebuilt) return prebuilt;
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('ERROR'),
  });
}
