import crypto from 'node:crypto';
import tar from 'tar-stream';
import type { Artifact, Digest } from '../../lib/schemas/execution-result';
import type { Finding } from '../../lib/schemas/findings';
import type { OutputRules } from '../../lib/schemas/policy';
import { ScanBudgetExceeded, type Scanner } from '../scanner';
import { artifactType, type ArtifactCandidate } from './artifact-types';

/** Files up to this size are also scanned for secrets and the policy's patterns; typed ones always are. */
const SCAN_FILE_LIMIT = 256 * 1024;

export interface ArtifactScan {
  artifacts: Digest[];
  truncated: boolean;
  findings: Finding[];
  blocked: boolean;
  /** The typed files among them, with their content; absent in histories from before them. */
  typed?: Artifact[];
}

/** The scan, and the typed files it read (their content goes back only if the gate passed them). */
export interface ArtifactArchiveScan extends Omit<ArtifactScan, 'typed'> {
  candidates: ArtifactCandidate[];
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
): Promise<ArtifactArchiveScan> {
  const result: ArtifactArchiveScan = {
    artifacts: [],
    truncated: !archiveComplete,
    findings: [],
    blocked: false,
    candidates: [],
  };
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
      const mimeType = artifactType(name, bytes);
      if (bytes.length > SCAN_FILE_LIMIT && !mimeType) continue;
      const findings = await scanFile(scanner, name, bytes, rules, result);
      if (mimeType) {
        const held = findings.length > 0 ? `the output gate found ${ruleList(findings)} in it` : null;
        result.candidates.push({ name, mimeType, sha256, content: bytes, held });
      }
    }
  } catch {
    // A cut-off or malformed archive: what was read before it counts, the rest is marked missing.
    result.truncated = true;
  }
  return result;
}

/** One file through the output gate; its findings join the scan's, and are returned. */
async function scanFile(
  scanner: Scanner,
  name: string,
  bytes: Buffer,
  rules: OutputRules,
  result: ArtifactScan,
): Promise<Finding[]> {
  try {
    const scanned = await scanner.output(name, bytes.toString('utf8'), rules);
    result.findings.push(...scanned.findings);
    result.blocked ||= scanned.blocked;
    return scanned.findings;
  } catch (err) {
    if (!(err instanceof ScanBudgetExceeded)) throw err;
    const finding: Finding = {
      gate: 'output',
      ruleId: 'scan-budget',
      severity: 'high',
      message: `${name}: ${err.message}`,
      location: { path: name, line: null, column: null },
      tool: 'airlock-output',
    };
    result.findings.push(finding);
    result.blocked = true;
    return [finding];
  }
}

function ruleList(findings: Finding[]): string {
  return [...new Set(findings.map((f) => f.ruleId))].join(', ');
}
