import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { PROJECT_ROOT } from '../lib/node/paths';

/** Written by `npm run build`. */
export const WORKFLOW_BUNDLE_PATH =
  process.env.AIRLOCK_WORKFLOW_BUNDLE ?? path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

/**
 * Workflow interceptor modules (tracing), in every bundle whether tracing is on or off, so every
 * worker runs the same workflow code. They stand aside for a workflow whose starter was not tracing.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

/** The prebuilt bundle when there is one; otherwise the worker bundles `workflows/` at start-up. */
export function prebuiltWorkflowBundle(): WorkflowBundleOption | undefined {
  return fs.existsSync(WORKFLOW_BUNDLE_PATH) ? { codePath: WORKFLOW_BUNDLE_PATH } : undefined;
}
