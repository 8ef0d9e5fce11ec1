import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { createHealthProbe } from '../../api/health';
import { ApiKeyStore } from '../../lib/api-keys';
import { loadPolicies } from '../../lib/policies';
import { createLogger } from '../../lib/logger';
import type { TestCluster } from './cluster';

export interface TestApi {
  app: Express;
  keys: ApiKeyStore;
  /** A key of the `default` tenant, and one of a second tenant. */
  key: string;
  otherTenantKey: string;
}

/** The real API app over the test cluster, with its own key file holding two tenants' keys. */
export function createTestApi(cluster: TestCluster, opts: { waitLimitMs?: number } = {}): TestApi {
  const keys = new ApiKeyStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-keys-')), 'keys.json'));
  const key = keys.create('default', 'tests').key;
  const otherTenantKey = keys.create('other-tenant', 'tests').key;
  const app = createApp({
    executions: cluster.executions,
    runtimes: cluster.runtimes,
    policies: loadPolicies(),
    health: createHealthProbe({ client: cluster.client, namespace: 'default', docker: cluster.docker }),
    keys,
    waitLimitMs: opts.waitLimitMs ?? 60_000,
    log: createLogger('api-test', 'silent'),
  });
  return { app, keys, key, otherTenantKey };
}
