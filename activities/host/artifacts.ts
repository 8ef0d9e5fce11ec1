import crypto from 'node:crypto';
import tar from 'tar-stream';
import type { Digest } from '../../lib/schemas/execution-result';
import type { Finding } from '../../lib/schemas/findings';
import type { OutputRules } from '../../lib/schemas/policy';
import { ScanBudgetExceeded, type Scanner } from '../scanner';

/** Files up to this size are also scanned for secrets and the policy's patterns. */
const SCAN_FILE_LIMIT = 256 * 1024;

export interface ArtifactScan {
  artifacts: Digest[];
  truncated: boolean;
  findings: Finding[];
  blocked: boolean;
}

/**
 * The files a program left in its workspace, from a tar stream read out of the sandbox: each one
 * hashed, small ones scanned. Files submitted with the request and left unchanged are not artifacts.
 */
export async function scanArtifactArchive(
  archive: Buffer,
  archiveComplete: boolean,
  submitted: Map<string, string>,
  rules: OutputRules,
  scanner: Scanner,
): Promise<ArtifactScan> {
  const result: ArtifactScan = { artifacts: [], truncated: !archiveComplete, findings: [], blocked: false };
  const extract = tar.extract();
  extract.end(archive);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type !== 'file') continue;
      const name = entry.header.name.replace(/^\.\//, '');
      const bytes = Buffer.concat(chunks);
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      if (submitted.get(name) === sha256) continue;
      result.artifacts.push({ name, sha256, bytes: bytes.length });
      if (bytes.length <= SCAN_FILE_LIMIT) {
        try {
          const scanned = await scanner.output(name, bytes.toString('utf8'), rules);
          result.findings.push(...scanned.findings);
          result.blocked ||= scanned.blocked;
        } catch (err) {
          if (!(err instanceof ScanBudgetExceeded)) throw err;
          result.findings.push({
            gate: 'output',
            ruleId: 'scan-budget',
            severity: 'high',
            message: `${name}: ${err.message}`,
            location: { path: name, line: null, column: null },
            tool: 'airlock-output',
          });
          result.blocked = true;
        }
      }
    }
  } catch {
    // A cut-off or malformed archive: what was read before it counts, the rest is marked missing.
    result.truncated = true;
  }
  return result;
}
