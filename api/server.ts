/** The HTTP API: `node dist/api/server.js`. */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../lib/node/config';
import { createLogger } from '../lib/node/logger';
import { loadPolicies } from '../lib/node/policies';
import { loadRuntimes } from '../lib/node/runtimes';
import { connectWithRetry, createClient } from '../lib/node/temporal';
import { startTracing, stopTracing } from '../lib/node/tracing';
import { ExecutionService } from './execution-service';
import { SandboxService } from './sandbox-service';
import { TemplateService } from './template-service';
import { createApiMetrics } from './metrics';
import { createHealthProbe } from './health';
import { TenantLeases } from './tenant-leases';
import { createApp } from './app';
import { ApiKeyStore } from '../lib/node/api-keys';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('airlock-api', config.logLevel);
  // Before the client: it takes its interceptors from whether tracing is on.
  if (await startTracing('airlock-api')) log.info('tracing on: exporting spans over OTLP/HTTP');
  const connection = await connectWithRetry(config.temporal);
  const client = createClient(connection, config.namespace);
  // The API checks the local engine only where one is meant to be (the embedded setup).
  // On a listener of its own, as the workers do: the API's port answers only calls with a key, and /healthz.
  const metricsServer = await createApiMetrics(client).serve(config.apiMetricsPort, config.metricsHost);
  const { port: metricsPort } = metricsServer.address() as AddressInfo;
  log.info({ url: `http://${config.metricsHost}:${metricsPort}/metrics` }, 'metrics served');
  const app = createApp({
    executions: new ExecutionService(client),
    sandboxes: new SandboxService(client),
    templates: new TemplateService(client, config.templates.timeoutMs),
    leases: new TenantLeases(client),
    sandboxStepsPerRun: config.sandboxStepsPerRun,
    runtimes: loadRuntimes(),
    policies: loadPolicies(),
    health: createHealthProbe({ client, namespace: config.namespace }),
    keys: new ApiKeyStore(undefined, {
      onInvalid: (err) => log.error({ err }, 'the keys file no longer parses; the last good keys stay in force'),
    }),
    waitLimitMs: config.waitLimitMs,
    namespace: config.namespace,
    codecCorsOrigins: config.codecCorsOrigins,
    log,
  });
  const server = app.listen(config.apiPort, config.apiHost, () => {
    log.info({ url: `http://${config.apiHost}:${config.apiPort}` }, 'airlock API listening');
  });
  server.on('error', (err) => {
    log.error({ err }, 'API server error');
    process.exit(1);
  });
  const shutdown = (): void => {
    log.info('shutting down');
    metricsServer.close();
    server.close(() => void Promise.allSettled([connection.close(), stopTracing()]).finally(() => process.exit(0)));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`airlock API failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
