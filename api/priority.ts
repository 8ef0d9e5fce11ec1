import type { Priority } from '@temporalio/common';

/**
 * The Temporal priority of a tenant's workflows, which their activities inherit: the tenant is the
 * fairness key, so task queues dispatch tenants in turn rather than first come, first served (when
 * the server has fairness on; docs/deployment.md). Tenant names fit the key's 64 bytes.
 */
export function tenantPriority(tenant: string): Priority {
  return { fairnessKey: tenant };
}
