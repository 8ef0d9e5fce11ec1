import type { Artifact } from '../../lib/schemas/execution-result';
import { AirlockError } from './errors';
import type { HttpClient, RequestOptions } from './http';

function fromBase64(data: string): Uint8Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A typed artifact's bytes: its inline `data` when the result carries it, else `GET <base>/:sha256`.
 * Either way the bytes are checked against its sha256. A withheld artifact throws `AirlockError`
 * with code `artifact_withheld` and the reason.
 */
export async function readArtifact(
  http: HttpClient,
  { artifact, base }: { artifact: Artifact; base: string },
  options: RequestOptions = {},
): Promise<Uint8Array> {
  if (artifact.withheld !== null) {
    throw new AirlockError({
      status: 0,
      code: 'artifact_withheld',
      message: `artifact ${artifact.name} is withheld: ${artifact.withheld}`,
    });
  }
  const bytes =
    artifact.data !== null
      ? fromBase64(artifact.data)
      : (
          await http.request<Uint8Array>({
            method: 'GET',
            path: `${base}/${encodeURIComponent(artifact.sha256)}`,
            responseType: 'bytes',
            ...options,
          })
        ).data;
  const got = await sha256Hex(bytes);
  if (got !== artifact.sha256) {
    throw new AirlockError({
      status: 0,
      code: 'artifact_digest_mismatch',
      message: `artifact ${artifact.name} has sha256 ${got}, not the result's ${artifact.sha256}`,
    });
  }
  return bytes;
}
