import express from 'express';
import type { ApiKeyStore } from '../lib/node/api-keys';
import { withLogFields, type Logger } from '../lib/node/logger';
import { httpRequestSpans, tracingEnabled } from '../lib/node/tracing';
import { type RuntimeCatalog, summarize } from '../lib/node/runtimes';
import type { LoadedPolicy } from '../lib/node/policies';
import type { ExecutionService } from './execution-service';
import type { HealthReport } from './health';
import { errorHandler, notFoundRoute } from './errors';
import { executionRoutes } from './routes/executions';
import { outputRoutes } from './routes/outputs';
import { FileOutputStore, type OutputStore } from '../lib/node/output-store';
import { loadConfig } from '../lib/node/config';
import { sandboxRoutes } from './routes/sandboxes';
import { templateRoutes } from './routes/templates';
import type { TemplateService } from './template-service';
import type { SandboxService } from './sandbox-service';
import { requireApiKey, requireScope } from './auth';
import { rateLimit } from './rate-limit';
import type { TenantLeases } from './tenant-leases';
import { keyRoutes } from './routes/keys';
import { AuditKeyStore } from '../lib/node/audit/signing-keys';
import type { PayloadCodec } from '@temporalio/common';
import { payloadCodec } from '../lib/node/payload-codec';
import { codecCors, codecRoutes } from './routes/codec';
import { e2bRoutes } from './e2b';
import { openApiDocument } from './openapi';

export interface ApiDeps {
  executions: ExecutionService;
  sandboxes: SandboxService;
  /** Steps a sandbox workflow run takes before it continues as new. */
  sandboxStepsPerRun: number;
  templates: TemplateService;
  /** Where the hosts keep template build logs; default the directory AIRLOCK_TEMPLATE_LOG_DIR names. */
  templateLogs?: OutputStore;
  runtimes: RuntimeCatalog;
  policies: Map<string, LoadedPolicy>;
  health: () => Promise<HealthReport>;
  keys: ApiKeyStore;
  /** Each tenant's in-flight leases (api/tenant-leases.ts). */
  leases: TenantLeases;
  waitLimitMs: number;
  log: Logger;
  /** The deployment's audit signing keys (their public halves are served); default AIRLOCK_AUDIT_KEYS_DIR. */
  auditKeys?: AuditKeyStore;
  /** Where the hosts store long stage outputs; default the directory AIRLOCK_OUTPUT_DIR names. */
  outputs?: OutputStore;
  /** The codec the clients use (lib/node/payload-codec.ts), served to the Temporal UI; default this process's. */
  codec?: PayloadCodec;
  /** The Temporal namespace, and the browser origins (the Temporal UI's) that may call the codec. */
  namespace?: string;
  codecCorsOrigins?: string[];
}

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // API calls, not probes.
  if (tracingEnabled()) app.use('/v1', httpRequestSpans);
  app.use(executionLogFields);

  // Anonymous probes say only yes or no: versions and worker names are for the detailed view.
  // Liveness: this process serves.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  // Readiness: Temporal answers and workers poll both queues.
  app.get('/readyz', async (_req, res) => {
    const { ok } = await deps.health();
    res.status(ok ? 200 : 503).json({ ok });
  });

  // The API's description is public, as the code it is built from is.
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  // A browser's preflight carries no key: it is answered before the key check.
  app.use('/v1/codec', codecCors(deps.codecCorsOrigins ?? []));

  // The key first: a caller without one learns nothing about its body, and costs no parsing. Each
  // router parses its own bodies, so a route that takes raw bytes gets them whatever their type.
  app.use('/v1', requireApiKey(deps.keys));
  // Then the key's rate: a key over it costs no more than the key check. One limiter for both
  // surfaces: the E2B one draws on the same buckets.
  const rateLimiter = rateLimit();
  app.use('/v1', rateLimiter);

  // What each check found, for an operator's key only.
  app.get('/v1/health', requireScope('admin'), async (_req, res) => {
    const report = await deps.health();
    res.status(report.ok ? 200 : 503).json(report);
  });

  // Public keys only: anyone with a key may check a seal.
  app.get('/v1/audit/keys', (_req, res) => {
    res.json({ keys: (deps.auditKeys ?? new AuditKeyStore()).publicKeys() });
  });

  app.get('/v1/runtimes', (_req, res) => {
    res.json({ runtimes: deps.runtimes.languages().map((l) => summarize(deps.runtimes.versions(l))) });
  });

  const outputs = deps.outputs ?? new FileOutputStore(loadConfig().outputs.dir);
  app.use(
    '/v1/executions',
    executionRoutes({
      executions: deps.executions,
      leases: deps.leases,
      runtimes: deps.runtimes,
      policies: deps.policies,
      waitLimitMs: deps.waitLimitMs,
      templates: deps.templates,
    }),
  );

  app.use('/v1/executions', outputRoutes({ executions: deps.executions, store: outputs }));

  app.use(
    '/v1/sandboxes',
    sandboxRoutes({
      sandboxes: deps.sandboxes,
      leases: deps.leases,
      runtimes: deps.runtimes,
      policies: deps.policies,
      stepsPerRun: deps.sandboxStepsPerRun,
      templates: deps.templates,
      outputs,
    }),
  );

  app.use(
    '/v1/templates',
    templateRoutes({
      templates: deps.templates,
      runtimes: deps.runtimes,
      logs: deps.templateLogs ?? new FileOutputStore(loadConfig().templates.logDir),
    }),
  );

  app.use('/v1/keys', keyRoutes(deps.keys));

  app.use('/v1/codec', codecRoutes({ codec: deps.codec ?? payloadCodec(), namespace: deps.namespace ?? 'default' }));

  // The E2B-compatible surface at the root, where the stock SDKs look (docs/e2b.md).
  app.use(
    e2bRoutes({
      sandboxes: deps.sandboxes,
      leases: deps.leases,
      runtimes: deps.runtimes,
      policies: deps.policies,
      stepsPerRun: deps.sandboxStepsPerRun,
      templates: deps.templates,
      keys: deps.keys,
      log: deps.log,
      rateLimiter,
    }),
  );

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}

const EXECUTION_PATH = /^\/v1\/(?:executions|sandboxes)\/((?:ex|sbx)_[0-9a-f]{32})(?:\/|$)/;

/** Every line logged while handling a request about one execution or sandbox names it. */
const executionLogFields: express.RequestHandler = (req, _res, next) => {
  const executionId = EXECUTION_PATH.exec(req.path)?.[1];
  if (executionId) withLogFields({ executionId }, next);
  else next();
};
