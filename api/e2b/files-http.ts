/**
 * envd's plain HTTP routes: `GET /files` (a file's bytes), `POST /files` (multipart uploads, one
 * part per file, each named by its filename or the `path` query) and `GET /health`.
 */
import type { Request, Response } from 'express';
import busboy from 'busboy';
import { MAX_SANDBOX_FILE_BYTES } from '../../lib/schemas/sandbox';
import { ConnectError, connectStatus } from './connect';
import { toE2bPath, toFilePath } from './paths';
import { fileStep, type SandboxCall } from './steps';
import { requireSandboxUser } from './process';

/** Files one upload may carry: each is a step of its own. */
const MAX_UPLOAD_FILES = 100;

/** envd's error body: `{code, message}` with the HTTP status. */
export function sendFileError(res: Response, err: unknown): void {
  const error = err instanceof ConnectError ? err : null;
  const status = error ? connectStatus(error.code) : ((err as { status?: number }).status ?? 500);
  const message = err instanceof Error && status < 500 ? err.message : 'internal error';
  if (!res.headersSent) res.status(status).json({ code: status, message });
}

export async function readFile(call: SandboxCall, req: Request, res: Response): Promise<void> {
  const path = toFilePath(req.query.path);
  const result = await fileStep(call, { kind: 'read_file', path });
  const bytes = Buffer.from(result.file?.contentBase64 ?? '', 'base64');
  res.status(200).type('application/octet-stream').send(bytes);
}

interface Part {
  path: string;
  bytes: Buffer;
}

/** The upload's parts, each whole in memory (a file step carries at most 1 MiB). */
function parts(req: Request): Promise<Part[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        preservePath: true,
        limits: { files: MAX_UPLOAD_FILES, fileSize: MAX_SANDBOX_FILE_BYTES, fields: 16 },
      });
    } catch {
      reject(new ConnectError('invalid_argument', 'the body must be multipart/form-data with file parts'));
      return;
    }
    const out: Part[] = [];
    let failed: ConnectError | null = null;
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed = new ConnectError(
          'resource_exhausted',
          `${info.filename}: a file is at most ${MAX_SANDBOX_FILE_BYTES} bytes`,
        );
      });
      stream.on('end', () => out.push({ path: info.filename, bytes: Buffer.concat(chunks) }));
    });
    parser.on('filesLimit', () => {
      failed = new ConnectError('invalid_argument', `at most ${MAX_UPLOAD_FILES} files per upload`);
    });
    parser.on('error', () => reject(new ConnectError('invalid_argument', 'the multipart body is malformed')));
    parser.on('close', () => (failed ? reject(failed) : resolve(out)));
    req.pipe(parser);
  });
}

export async function writeFiles(call: SandboxCall, req: Request, res: Response): Promise<void> {
  requireSandboxUser(req);
  const single = typeof req.query.path === 'string' ? toFilePath(req.query.path) : undefined;
  const files = await parts(req);
  if (files.length === 0) throw new ConnectError('invalid_argument', 'the upload has no file part');
  const written = [];
  // One step per file, in order: each is gated, and each is in the sandbox's history.
  for (const file of files) {
    const path = single ?? toFilePath(file.path, 'filename');
    await fileStep(call, { kind: 'write_file', path, contentBase64: file.bytes.toString('base64') });
    written.push({ path: toE2bPath(path), name: path.split('/').at(-1)!, type: 'file' });
  }
  res.status(200).json(written);
}

/** 204 while the sandbox runs; 502 once it is gone, as E2B's proxy answers. */
export async function health(call: SandboxCall, res: Response): Promise<void> {
  const info = await call.sandboxes.get(call.sandboxId, call.tenant);
  if (info && info.end === null) res.status(204).end();
  else res.status(502).json({ code: 502, message: `sandbox ${call.sandboxId} is not running` });
}
