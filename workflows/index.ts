// The workflow bundle's entry point: workflow functions only.
export { executionWorkflow } from './execution';
export { sandboxWorkflow } from './sandbox';
export { tenantQuotaWorkflow } from './tenant-quota';
export { templateWorkflow } from './template';
