import crypto from 'node:crypto';
import { once } from 'node:events';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import type { Airlock } from '../sdk/src';

type Stream = 'stdout' | 'stderr';

/**
 * Prints one stream of the run stage: the result's text, or, when the result holds only a preview
 * (`stdoutRef` / `stderrRef`), the whole stored stream as it arrives, never held in memory. Answers
 * false, after saying why on stderr, when the whole could not be printed.
 */
export async function printOutput(
  client: Airlock,
  result: ExecutionResult,
  stream: Stream,
  out: NodeJS.WritableStream,
): Promise<boolean> {
  const run = result.run;
  const ref = stream === 'stdout' ? run?.stdoutRef : run?.stderrRef;
  if (!run || !ref) {
    out.write(run?.[stream] ?? '');
    return true;
  }
  const name = `run.${stream}`;
  let body: AsyncIterable<Uint8Array>;
  try {
    body = await client.executions.handle(result.id).outputStream('run', stream);
  } catch (err) {
    // Nothing is printed yet: the preview is better than nothing, and the note says it is one.
    out.write(run[stream]);
    note(`${name}: printed only the first ${Buffer.byteLength(run[stream])} of ${ref.bytes} bytes: ${reason(err)}`);
    return false;
  }
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } catch (err) {
    note(`${name}: cut short after ${bytes} of ${ref.bytes} bytes: ${reason(err)}`);
    return false;
  }
  if (bytes !== ref.bytes || hash.digest('hex') !== ref.sha256) {
    note(`${name}: the ${bytes} bytes printed are not the stored output (${ref.bytes} bytes, sha256 ${ref.sha256})`);
    return false;
  }
  return true;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function note(message: string): void {
  process.stderr.write(`airlock: ${message}\n`);
}
