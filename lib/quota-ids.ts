/** The one workflow that keeps a tenant's leases (workflows/tenant-quota.ts); plain, for the workflow bundle too. */
export function quotaWorkflowId(tenant: string): string {
  return `airlock-quota-${tenant}`;
}
