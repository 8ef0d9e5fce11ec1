import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { createHealthProbe } from '../../api/health';
import { SandboxService } from '../../api/sandbox-service';
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
export function createTestApi(
  cluster: TestCluster,
  opts: {
    waitLimitMs?: number;
    sandboxStepsPerRun?: number;
    /** A policies folder other than policies/, as given to the cluster's orchestration worker. */
    policiesDir?: string;
  } = {},
): TestApi {
  const keys = new ApiKeyStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-keys-')), 'keys.json'));
  const key = keys.create('default', 'tests').key;
  const otherTenantKey = keys.create('other-tenant', 'tests').key;
  const app = createApp({
    executions: cluster.executions,
    sandboxes: new SandboxService(cluster.client),
    sandboxStepsPerRun: opts.sandboxStepsPerRun ?? 500,
    runtimes: cluster.runtimes,
    policies: loadPolicies(opts.policiesDir),
    health: createHealthProbe({ client: cluster.client, namespace: 'default', docker: cluster.docker }),
    keys,
    waitLimitMs: opts.waitLimitMs ?? 60_000,
    log: createLogger('api-test', 'silent'),
  });
  return { app, keys, key, otherTenantKey };
}

/** The app on a real socket (port 0 on loopback): for streams, the SDK and MCP, which need a URL. */
export async function listen(app: Express): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
