import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { Artifact, ExecutionResult, OutputRef, ProcessResult } from '../../lib/schemas/execution-result';
import type { OutputStore, StoredOutput } from '../../lib/node/output-store';
import type { ExecutionService } from '../execution-service';
import { HttpError } from '../errors';
import { principalOf } from '../auth';

export interface OutputRoutesDeps {
  executions: ExecutionService;
  store: OutputStore;
}

const STREAMS = ['stdout', 'stderr'] as const;
type Stream = (typeof STREAMS)[number];

/**
 * `GET /v1/executions/:id/outputs/:stage/:stream`: the whole of a stage's output that the result
 * holds only a preview of (`stdoutRef` / `stderrRef`); `GET /v1/executions/:id/artifacts/:sha256`:
 * a typed file it returned. Each reference is looked up in the result the tenant may read, so the
 * store is never reached for an execution, or a digest, of another tenant.
 */
export function outputRoutes({ executions, store }: OutputRoutesDeps): Router {
  const router = Router();

  router.get('/:id/outputs/:stage/:stream', async (req, res) => {
    const { id, stage, stream } = req.params;
    const name = `${stage}.${stream}`;
    const result = await executions.get(id, principalOf(req).tenant);
    if (!result) throw HttpError.notFound(`execution ${id}`);
    const ref = isStream(stream) ? refOf(processOf(result, stage), stream) : undefined;
    if (!ref) throw HttpError.notFound(`stored output ${name} of execution ${id}`);
    const stored = await store.open(ref.sha256);
    if (!stored) {
      throw new HttpError(410, 'output_expired', `output ${name} of execution ${id} is no longer stored (retention)`);
    }
    await serveStored(req, res, stored, { sha256: ref.sha256, 'content-type': 'text/plain; charset=utf-8' });
  });

  router.get('/:id/artifacts/:sha256', async (req, res) => {
    const { id, sha256 } = req.params;
    const result = await executions.get(id, principalOf(req).tenant);
    if (!result) throw HttpError.notFound(`execution ${id}`);
    // Only what this result lists as returned: never a withheld file, nor a digest of another execution.
    await serveArtifact(req, res, { store, artifacts: result.artifacts, sha256, owner: `execution ${id}` });
  });

  return router;
}

/**
 * One artifact the owner's result lists as returned (never a withheld one, nor a digest of another
 * owner's), from the store, as a download where a browser would run it.
 */
export async function serveArtifact(
  req: Request,
  res: Response,
  {
    store,
    artifacts,
    sha256,
    owner,
  }: { store: OutputStore; artifacts: Artifact[] | undefined; sha256: string; owner: string },
): Promise<void> {
  const artifact = artifacts?.find((a) => a.sha256 === sha256 && a.withheld === null);
  if (!artifact) throw HttpError.notFound(`artifact ${sha256} of ${owner}`);
  const stored = await store.open(sha256);
  if (!stored) {
    throw new HttpError(
      410,
      'artifact_expired',
      `artifact ${artifact.name} of ${owner} is no longer stored (retention)`,
    );
  }
  const disposition = ACTIVE_TYPES.has(artifact.mimeType) ? 'attachment' : 'inline';
  await serveStored(req, res, stored, {
    sha256,
    'content-type': artifact.mimeType,
    'content-disposition': `${disposition}; filename*=UTF-8''${encodeURIComponent(path.posix.basename(artifact.name))}`,
    // The program wrote it: a page or an SVG must never run script on the API's origin.
    'content-security-policy': "default-src 'none'; sandbox",
  });
}

/**
 * Streams a stored object under its digest: content-addressed, so the same URL always answers the
 * same bytes (`ETag` is the sha256, `If-None-Match` answers 304).
 */
export async function serveStored(
  req: Request,
  res: Response,
  stored: StoredOutput,
  { sha256, ...headers }: { sha256: string } & Record<string, string>,
): Promise<void> {
  res.status(200).set({
    ...headers,
    'content-length': String(stored.bytes),
    etag: `"${sha256}"`,
    'cache-control': 'private, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  });
  if (req.fresh) {
    stored.stream.destroy();
    res.status(304).end();
    return;
  }
  // Headers are out: a read that fails half-way can only cut the response short (pipeline ends both).
  await pipeline(stored.stream, res).catch(() => undefined);
}

/** Types a browser would run script in: always downloaded, never shown on the API's origin. */
const ACTIVE_TYPES = new Set<string>(['text/html', 'image/svg+xml', 'application/pdf']);

/** The process a stage name stands for: `compile`, `run`, `tests`, or `case.<index>`. */
function processOf(result: ExecutionResult, stage: string): ProcessResult | null | undefined {
  switch (stage) {
    case 'compile':
      return result.compile;
    case 'run':
      return result.run;
    case 'tests':
      return result.tests;
  }
  const index = /^case\.(0|[1-9]\d{0,5})$/.exec(stage)?.[1];
  return index === undefined ? undefined : result.cases?.find((c) => c.index === Number(index));
}

function refOf(process: ProcessResult | null | undefined, stream: Stream): OutputRef | null | undefined {
  return stream === 'stdout' ? process?.stdoutRef : process?.stderrRef;
}

function isStream(value: string): value is Stream {
  return (STREAMS as readonly string[]).includes(value);
}
