import { Router, type Request } from 'express';
import { z } from 'zod';
import { ExecutionRequest } from '../../lib/schemas/execution-request';
import { normalizeRequest } from '../../lib/normalize-request';
import type { RuntimeDefinition } from '../../lib/runtimes';
import type { LoadedPolicy } from '../../lib/policies';
import type { ExecutionService } from '../execution-service';
import { HttpError } from '../errors';
import { policyViolations } from '../../lib/gate';
import { DEFAULT_POLICY } from '../../lib/policies';
import { principalOf } from '../auth';

export interface ExecutionRoutesDeps {
  executions: ExecutionService;
  runtimes: Map<string, RuntimeDefinition>;
  policies: Map<string, LoadedPolicy>;
  waitLimitMs: number;
}

const WaitQuery = z.object({ wait: z.enum(['true', 'false']).optional() });

export function executionRoutes({ executions, runtimes, policies, waitLimitMs }: ExecutionRoutesDeps): Router {
  const router = Router();
  const tenantOf = (req: Request): string => principalOf(req).tenant;

  router.post('/', async (req, res) => {
    const { wait } = parse(WaitQuery, req.query, 'query');
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
    }
    const body = parse(ExecutionRequest, req.body);
    const runtime = runtimes.get(body.language);
    if (!runtime) {
      throw HttpError.invalid(
        'language',
        `unknown runtime "${body.language}"; available: ${[...runtimes.keys()].join(', ')}`,
      );
    }
    const policy = policies.get(body.policy ?? DEFAULT_POLICY);
    if (!policy) {
      throw HttpError.invalid(
        'policy',
        `unknown policy "${body.policy}"; available: ${[...policies.keys()].join(', ')}`,
      );
    }
    const { tenant, keyId } = principalOf(req);
    const input = normalizeRequest(body, {
      tenant,
      keyId,
      runtime: runtime.manifest,
    });
    // The gate checks again in the workflow (and records it); answering here names the field.
    const violations = policyViolations(input, policy.policy, runtime.manifest);
    if (violations.length > 0) {
      const size = violations.find((v) => v.kind === 'size');
      const shown = size ? [size] : violations;
      throw new HttpError(
        size ? 413 : 400,
        size ? 'payload_too_large' : 'policy_violation',
        `${shown[0]!.field}: ${shown[0]!.message}`,
        shown.map(({ field, message }) => ({ field, message })),
      );
    }
    await executions.submit(input);
    res.location(`/v1/executions/${input.executionId}`);
    if (wait === 'true') {
      const result = await executions.waitForResult(input.executionId, tenant, waitLimitMs);
      if (result) {
        res.status(200).json(result);
        return;
      }
    }
    res.status(202).json({ id: input.executionId, status: 'queued' });
  });

  router.get('/:id', async (req, res) => {
    const result = await executions.get(req.params.id, tenantOf(req));
    if (!result) throw HttpError.notFound(`execution ${req.params.id}`);
    res.json(result);
  });

  router.post('/:id/cancel', async (req, res) => {
    const status = await executions.cancel(req.params.id, tenantOf(req));
    if (!status) throw HttpError.notFound(`execution ${req.params.id}`);
    if (status !== 'cancelling') {
      throw new HttpError(409, 'already_finished', `execution ${req.params.id} has already finished (${status})`);
    }
    res.status(202).json({ id: req.params.id, status });
  });

  return router;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  if (prefix === '' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw HttpError.invalid('(body)', 'must be a JSON object');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw HttpError.fromZod(parsed.error, prefix);
  return parsed.data;
}
