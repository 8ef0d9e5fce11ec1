/**
 * The sandbox plane E2B's SDKs reach at `E2B_SANDBOX_URL`: envd's Connect services and HTTP routes,
 * for every sandbox at once, told apart by the `E2b-Sandbox-Id` header. The access token is an
 * Airlock key: a sandbox of another tenant is not found.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ApiKeyStore } from '../../lib/node/api-keys';
import type { LoadedPolicy } from '../../lib/node/policies';
import type { RuntimeCatalog } from '../../lib/node/runtimes';
import { resolveLimits } from '../../lib/node/execution-plan';
import { requireScope } from '../auth';
import type { SandboxService } from '../sandbox-service';
import { ACCESS_TOKEN_HEADER, requireE2bKey } from './auth';
import { ConnectError, ConnectStream, parseMessage, sendUnary, unenvelope } from './connect';
import { filesystemRpc, WATCH_UNSUPPORTED } from './filesystem';
import { health, readFile, sendFileError, writeFiles } from './files-http';
import { PROCESS_NOT_YET, processUnsupported, startProcess } from './process';
import { connectProcess, listProcesses, signalProcess } from './processes';
import { sandboxCall, type SandboxCall } from './steps';

export interface E2bSandboxDeps {
  sandboxes: SandboxService;
  keys: ApiKeyStore;
  policies: Map<string, LoadedPolicy>;
  runtimes: RuntimeCatalog;
  /** The API's own rate limiter: one bucket per key across both surfaces. */
  rateLimiter: RequestHandler;
}

/** One RPC request message: 1 MiB of command or path is plenty. */
const rpcBody = express.raw({ type: () => true, limit: '2mb' });

export function e2bSandboxPlane(deps: E2bSandboxDeps): Router {
  const router = Router();
  const stepTimeouts = new StepTimeouts(deps);
  const auth = authenticated(deps);

  router.get('/health', auth, (req, res) =>
    run(res, () => health(sandboxCall(req, deps.sandboxes), res), sendFileError),
  );
  router.get('/files', auth, (req, res) =>
    run(res, () => readFile(sandboxCall(req, deps.sandboxes), req, res), sendFileError),
  );
  router.post('/files', auth, (req, res) =>
    run(res, () => writeFiles(sandboxCall(req, deps.sandboxes), req, res), sendFileError),
  );

  router.post('/process.Process/Start', auth, rpcBody, (req, res) => {
    const stream = new ConnectStream(res);
    return run(
      res,
      () => {
        const message = unenvelope(bodyOf(req)) as Record<string, unknown>;
        return startProcess(
          { stepTimeoutMs: (c) => stepTimeouts.of(c) },
          sandboxCall(req, deps.sandboxes),
          message,
          req,
          stream,
        );
      },
      (_res, err) => stream.end(err),
    );
  });
  router.post('/process.Process/List', auth, rpcBody, (req, res) =>
    sendUnary(res, () => listProcesses(sandboxCall(req, deps.sandboxes))),
  );
  router.post('/process.Process/SendSignal', auth, rpcBody, (req, res) =>
    sendUnary(res, () =>
      signalProcess(sandboxCall(req, deps.sandboxes), parseMessage(bodyOf(req)) as Record<string, unknown>),
    ),
  );
  router.post('/process.Process/Connect', auth, rpcBody, (req, res) => {
    const stream = new ConnectStream(res);
    return run(
      res,
      () =>
        connectProcess(sandboxCall(req, deps.sandboxes), unenvelope(bodyOf(req)) as Record<string, unknown>, stream),
      (_res, err) => stream.end(err),
    );
  });
  for (const method of processUnsupported) {
    router.post(`/process.Process/${method}`, auth, rpcBody, (_req, res) =>
      sendUnary(res, () => Promise.reject(new ConnectError('unimplemented', PROCESS_NOT_YET))),
    );
  }

  router.post('/filesystem.Filesystem/WatchDir', auth, rpcBody, (req, res) =>
    streamError(req, res, new ConnectError('unimplemented', WATCH_UNSUPPORTED)),
  );
  router.post('/filesystem.Filesystem/:method', auth, rpcBody, (req, res) => {
    const handler = filesystemRpc[String(req.params.method)];
    return sendUnary(res, async () => {
      if (!handler)
        throw new ConnectError('unimplemented', `filesystem.Filesystem/${req.params.method} is not a method`);
      const message = parseMessage(bodyOf(req)) as Record<string, unknown>;
      return handler(sandboxCall(req, deps.sandboxes), message ?? {});
    });
  });

  // The code interpreter (port 49999 in E2B) shares this base URL; its routes are not served yet.
  router.use(['/execute', '/contexts'], (_req, res) => {
    res.status(501).json({ code: 501, message: 'the code interpreter is not served on Airlock yet (docs/e2b.md)' });
  });
  return router;
}

/** The token check, then the key's rate and scope; failures in envd's error shape. */
function authenticated(deps: E2bSandboxDeps): RequestHandler {
  const chain = [requireE2bKey(deps.keys, ACCESS_TOKEN_HEADER), deps.rateLimiter, requireScope('submit')];
  return (req: Request, res: Response, next: (err?: unknown) => void) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined) return fail(req, res, err);
      const handler = chain[i++];
      if (!handler) return next();
      try {
        void handler(req, res, step);
      } catch (caught) {
        fail(req, res, caught);
      }
    };
    step();
  };
}

function fail(req: Request, res: Response, err: unknown): void {
  const status = (err as { status?: number }).status ?? 500;
  const message = err instanceof Error ? err.message : String(err);
  const headers = (err as { headers?: Record<string, string> }).headers ?? {};
  const code =
    status === 401
      ? 'unauthenticated'
      : status === 403
        ? 'permission_denied'
        : status === 429
          ? 'resource_exhausted'
          : 'internal';
  res.set(headers);
  if (req.path.includes('.')) res.status(status).json({ code, message });
  else res.status(status).json({ code: status, message });
}

function streamError(req: Request, res: Response, err: ConnectError): void {
  new ConnectStream(res).end(err);
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

async function run(
  res: Response,
  work: () => Promise<void>,
  onError: (res: Response, err: unknown) => void,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    onError(res, err);
  }
}

/** Each sandbox's step time limit under its policy (a sandbox never changes policy), kept a while. */
class StepTimeouts {
  private readonly known = new Map<string, number>();

  constructor(private readonly deps: E2bSandboxDeps) {}

  async of(call: SandboxCall): Promise<number> {
    const cached = this.known.get(call.sandboxId);
    if (cached !== undefined) return cached;
    const info = await call.sandboxes.get(call.sandboxId, call.tenant);
    if (!info) throw new ConnectError('not_found', `sandbox ${call.sandboxId} not found`);
    const policy = this.deps.policies.get(info.policy)?.policy;
    const runtime = this.deps.runtimes.get(info.language, info.image?.runtimeVersion);
    const timeoutMs = policy ? resolveLimits({ limits: {} }, policy, runtime?.manifest).timeoutMs : 0;
    if (this.known.size >= 10_000) this.known.delete(this.known.keys().next().value!);
    this.known.set(call.sandboxId, timeoutMs);
    return timeoutMs;
  }
}
