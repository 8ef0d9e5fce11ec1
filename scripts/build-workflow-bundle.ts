/**
 * Bundles the workflows once at build time, so workers start without running webpack
 * and every worker of a deployment runs byte-identical workflow code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH, WORKFLOW_INTERCEPTOR_MODULES } from '../workers/workflow-bundle';
import { FAILURE_CONVERTER_PATH } from '../lib/node/temporal';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  fs.mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  process.stdout.write(`[build] workflow bundle: ${WORKFLOW_BUNDLE_PATH} (${code.length} bytes)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`workflow bundle failed: ${String(err)}\n`);
  process.exit(1);
});
