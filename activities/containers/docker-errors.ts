import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import { ErrorType } from '../../lib/errors';

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

export async function removeQuietly(docker: Docker, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

/** Socket-level failures talking to the engine: it is down, restarting, or its socket is gone. */
const ENGINE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** The same failure as a typed, retryable one, so results say "the engine" rather than a socket error. */
export function engineUnavailable(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure || typeof err !== 'object' || err === null) return undefined;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || !ENGINE_DOWN_CODES.has(code)) return undefined;
  // ENOENT from anything but connecting to the socket is a missing file, not the engine.
  if (code === 'ENOENT' && syscall !== 'connect') return undefined;
  return ApplicationFailure.retryable(
    `the Docker engine did not answer (${code}): ${(err as Error).message}`,
    ErrorType.EngineUnavailable,
  );
}
