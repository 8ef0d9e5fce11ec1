import crypto from 'node:crypto';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import {
  MAX_SANDBOX_FILE_BYTES,
  SANDBOX_STATUSES,
  SandboxCreateRequest,
  SandboxDirectory,
  SandboxExecRequest,
  SandboxPath,
  SandboxMoveRequest,
  SandboxTimeoutRequest,
  type StepResult,
} from '../../lib/schemas/sandbox';
import type { StepRequest } from '../../lib/sandbox-input';
import { ErrorType } from '../../lib/errors';
import { HttpError } from '../errors';
import { jsonBody, withBodyErrors } from '../body';
import { principalOf, requireScope } from '../auth';
import { idempotencyConflict, idempotencyKeyOf, idempotencyOf } from '../idempotency';
import { lastEventId, streamEvents } from '../sse';
import { PageToken, parseBody, parseQuery, requireJson } from './parse';
import type { OutputStore } from '../../lib/node/output-store';
import { serveArtifact } from './outputs';
import { SandboxAdmission, execStep, type SandboxAdmissionDeps } from '../sandbox-admission';

export interface SandboxRoutesDeps extends SandboxAdmissionDeps {
  /** Where the hosts store artifacts the steps return. */
  outputs: OutputStore;
}

/** A file's bytes as they are, whatever their content type. */
const fileBody = withBodyErrors(express.raw({ type: () => true, limit: MAX_SANDBOX_FILE_BYTES }));

export const SandboxPathQuery = z.strictObject({ path: SandboxPath });
export const SandboxDeleteQuery = z.strictObject({
  path: SandboxPath,
  recursive: z.enum(['true', 'false']).default('false'),
});
export const SandboxListFilesQuery = z.strictObject({ path: SandboxDirectory.default('.') });
export const SandboxExecQuery = z.strictObject({ wait: z.enum(['true', 'false']).default('true') });
export const SandboxListQuery = z.strictObject({
  status: z.enum(['active', ...SANDBOX_STATUSES]).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: PageToken.optional(),
});

/** File errors from the workflow, as HTTP answers. */
const FILE_ERRORS: Record<string, [number, string]> = {
  [ErrorType.FileNotFound]: [404, 'file_not_found'],
  [ErrorType.NotAFile]: [400, 'not_a_file'],
  [ErrorType.NotADirectory]: [400, 'not_a_directory'],
  [ErrorType.FileTooLarge]: [413, 'file_too_large'],
  [ErrorType.DirectoryNotEmpty]: [409, 'directory_not_empty'],
  [ErrorType.AlreadyExists]: [409, 'already_exists'],
  [ErrorType.IsADirectory]: [409, 'is_a_directory'],
  [ErrorType.SymlinkLoop]: [400, 'symlink_loop'],
  [ErrorType.ReadOnlyPath]: [403, 'read_only_path'],
  [ErrorType.PermissionDenied]: [403, 'permission_denied'],
  // The sandbox's own storage, not a malformed request: freeing space in it makes the write work.
  [ErrorType.WorkspaceFull]: [507, 'workspace_full'],
};

export function sandboxRoutes(deps: SandboxRoutesDeps): Router {
  const { sandboxes, policies } = deps;
  const admission = new SandboxAdmission(deps);
  const router = Router();
  // Everything a sandbox does runs code or reads what code wrote.
  router.use(requireScope('submit'));
  const tenantOf = (req: Request): string => principalOf(req).tenant;
  const stepIdOf = (req: Request): string => idempotencyKeyOf(req) ?? `stp_${crypto.randomUUID().replaceAll('-', '')}`;

  async function runStep(req: Request, request: StepRequest): Promise<StepResult> {
    const result = await sandboxes.step(String(req.params.id), tenantOf(req), { stepId: stepIdOf(req), request }, true);
    if (result === 'accepted') throw new Error('a waited step answered only its acceptance');
    if (result.kind === 'exec' || result.status === 'succeeded') return result;
    const error = result.error ?? {
      type: ErrorType.Internal,
      message: `the ${result.kind} step ended ${result.status}`,
    };
    const known = FILE_ERRORS[error.type];
    if (known)
      throw new HttpError(known[0], known[1], error.message, [{ field: 'query.path', message: error.message }]);
    if (result.status === 'rejected') throw new HttpError(422, 'gate_blocked', error.message);
    throw new HttpError(502, 'step_failed', `${error.type}: ${error.message}`);
  }

  /** A step's own time limit may only go up to its policy's ceiling; the field is named here, not in a gate result. */
  async function requireWithinCeiling(req: Request, timeoutSeconds: number): Promise<void> {
    const name = await sandboxes.policyOf(String(req.params.id), tenantOf(req));
    if (name === null) throw HttpError.notFound(`sandbox ${req.params.id}`);
    const ceilingMs = policies.get(name)?.policy.limits.ceilings.timeoutMs;
    if (ceilingMs !== undefined && timeoutSeconds * 1000 > ceilingMs) {
      const message = `is above policy "${name}"'s ceiling of ${ceilingMs / 1000} s`;
      throw new HttpError(400, 'policy_violation', `timeoutSeconds: ${message}`, [
        { field: 'timeoutSeconds', message },
      ]);
    }
  }

  // Before the JSON parser: an upload's body is the file, whatever its content type says.
  router.put('/:id/files', fileBody, async (req, res) => {
    const { path } = parseQuery(SandboxPathQuery, req.query);
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = await runStep(req, { kind: 'write_file', path, contentBase64: bytes.toString('base64') });
    res.json(result.file ? { path: result.file.path, bytes: result.file.bytes, sha256: result.file.sha256 } : result);
  });
  router.use(jsonBody());

  router.post('/', async (req, res) => {
    requireJson(req);
    const key = idempotencyKeyOf(req);
    const created = await admission.create({
      body: parseBody(SandboxCreateRequest, req.body),
      principal: principalOf(req),
      idempotencyKey: key,
      idempotency: idempotencyOf(req.body, key),
    });
    if (created === 'conflict') throw idempotencyConflict();
    res.location(`/v1/sandboxes/${created.id}`).status(201).json(created);
  });

  router.get('/', async (req, res) => {
    const { status, pageSize, pageToken } = parseQuery(SandboxListQuery, req.query);
    res.json(await sandboxes.list(tenantOf(req), status, pageSize, pageToken));
  });

  router.get('/:id', async (req, res) => {
    const info = await sandboxes.get(req.params.id, tenantOf(req));
    if (!info) throw HttpError.notFound(`sandbox ${req.params.id}`);
    res.json(info);
  });

  router.delete('/:id', async (req, res) => {
    res.json(await sandboxes.close(req.params.id, tenantOf(req)));
  });

  router.post('/:id/timeout', async (req, res) => {
    requireJson(req);
    const { idleTimeoutSeconds } = parseBody(SandboxTimeoutRequest, req.body);
    res.json(await sandboxes.setIdleTimeout(req.params.id, tenantOf(req), idleTimeoutSeconds));
  });

  router.post('/:id/exec', async (req, res) => {
    const { wait } = parseQuery(SandboxExecQuery, req.query);
    requireJson(req);
    const body = parseBody(SandboxExecRequest, req.body);
    if (body.timeoutSeconds !== undefined) await requireWithinCeiling(req, body.timeoutSeconds);
    const request = execStep(body);
    if (wait === 'true') {
      res.json(await runStep(req, request));
      return;
    }
    const stepId = stepIdOf(req);
    await sandboxes.step(req.params.id, tenantOf(req), { stepId, request }, false);
    res
      .status(202)
      .location(`/v1/sandboxes/${req.params.id}/steps/${stepId}/events`)
      .json({ stepId, sandboxId: req.params.id });
  });

  router.get('/:id/steps/:stepId/artifacts/:sha256', async (req, res) => {
    const { id, stepId, sha256 } = req.params;
    const result = await sandboxes.stepResult(id, tenantOf(req), stepId);
    if (!result) throw HttpError.notFound(`step ${stepId} of sandbox ${id}`);
    await serveArtifact(req, res, {
      store: deps.outputs,
      artifacts: result.artifacts,
      sha256,
      owner: `step ${stepId} of sandbox ${id}`,
    });
  });

  router.post('/:id/steps/:stepId/cancel', async (req, res) => {
    const { id, stepId } = req.params;
    if (!(await sandboxes.cancelStep(id, tenantOf(req), stepId))) {
      throw HttpError.notFound(`step ${stepId} running or waiting in sandbox ${id}`);
    }
    res.json({ stepId, sandboxId: id, cancelled: true });
  });

  router.get('/:id/steps/:stepId/events', async (req, res) => {
    lastEventId(req);
    const pages = await sandboxes.stepEventPages(req.params.id, tenantOf(req), req.params.stepId);
    if (!pages) throw HttpError.notFound(`sandbox ${req.params.id}`);
    await streamEvents(req, res, pages);
  });

  router.get('/:id/files/list', async (req, res) => {
    const { path } = parseQuery(SandboxListFilesQuery, req.query);
    const result = await runStep(req, { kind: 'list_files', path });
    res.json({ path, entries: result.entries ?? [] });
  });

  router.get('/:id/files', async (req, res) => {
    const { path } = parseQuery(SandboxPathQuery, req.query);
    const result = await runStep(req, { kind: 'read_file', path });
    res
      .type('application/octet-stream')
      .set('X-Content-SHA256', result.file?.sha256 ?? '')
      .send(Buffer.from(result.file?.contentBase64 ?? '', 'base64'));
  });

  router.delete('/:id/files', async (req, res) => {
    const { path, recursive } = parseQuery(SandboxDeleteQuery, req.query);
    await runStep(req, { kind: 'delete_file', path, ...(recursive === 'true' ? { recursive: true } : {}) });
    res.status(204).end();
  });

  router.post('/:id/files/directories', async (req, res) => {
    const { path } = parseQuery(SandboxPathQuery, req.query);
    await runStep(req, { kind: 'make_dir', path });
    res.status(201).json({ path });
  });

  router.post('/:id/files/move', async (req, res) => {
    requireJson(req);
    const { path, destination } = parseBody(SandboxMoveRequest, req.body);
    await runStep(req, { kind: 'move_path', path, destination });
    res.json({ path: destination });
  });

  return router;
}
