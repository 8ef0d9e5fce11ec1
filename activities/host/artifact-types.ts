/**
 * Which written files come back as typed artifacts, and with what content: the type from the
 * file's extension, confirmed by its bytes, so a file cannot pass for a type it is not (an HTML page
 * named .png stays a plain file); then the content inline under a budget, or by reference.
 */
import path from 'node:path';
import type { Artifact, ArtifactMimeType } from '../../lib/schemas/execution-result';
import type { OutputStore } from '../../lib/node/output-store';
import { withholdAll } from '../../lib/artifacts';

export const ARTIFACT_LIMITS = {
  /** Larger typed files stay plain files in the manifest: hashed, not returned. */
  maxBytes: 4 * 1024 * 1024,
  /** A file up to this size is inline in the result, as base64. */
  inlineBytes: 64 * 1024,
  /** The inline budget of one result (the history holds it); later files go by reference. */
  inlineTotalBytes: 256 * 1024,
  /** Typed files returned per result; the manifest still lists them all. */
  maxCount: 64,
};

/** Where the python runtime's figure backend saves charts (images/python/airlock_figures.py). */
export const FIGURES_DIR = '.airlock/figures/';

const BY_EXTENSION: Record<string, ArtifactMimeType> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.json': 'application/json',
  '.csv': 'text/csv',
};

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PDF = Buffer.from('%PDF-');

/** The file's type when its extension names one and its bytes agree; null otherwise. */
export function artifactType(name: string, bytes: Buffer): ArtifactMimeType | null {
  const type = BY_EXTENSION[path.extname(name).toLowerCase()];
  if (!type || bytes.length > ARTIFACT_LIMITS.maxBytes) return null;
  switch (type) {
    case 'image/png':
      return bytes.subarray(0, PNG.length).equals(PNG) ? type : null;
    case 'image/jpeg':
      return bytes.subarray(0, JPEG.length).equals(JPEG) ? type : null;
    case 'application/pdf':
      return bytes.subarray(0, PDF.length).equals(PDF) ? type : null;
    case 'image/svg+xml':
      return utf8(bytes) !== null && /<svg[\s>]/.test(bytes.subarray(0, 4096).toString('utf8')) ? type : null;
    case 'application/json':
      return isJson(bytes) ? type : null;
    default:
      return utf8(bytes) !== null ? type : null;
  }
}

/** A typed file the output gate read: whether it found anything in it. */
export interface ArtifactCandidate {
  name: string;
  mimeType: ArtifactMimeType;
  sha256: string;
  content: Buffer;
  /** Why the gate holds it back (a finding in it, a scan over budget); null when it passed. */
  held: string | null;
}

export interface ReturnOptions {
  /** The whole run was blocked by the output gate: nothing it wrote goes out. */
  blocked: boolean;
  /** Where content above the inline bound is kept; without one it is withheld. */
  store: OutputStore | undefined;
}

/** The artifacts as the result carries them, in the order the program's files were read. */
export async function returnArtifacts(
  candidates: ArtifactCandidate[],
  { blocked, store }: ReturnOptions,
): Promise<Artifact[]> {
  const kept = candidates.slice(0, ARTIFACT_LIMITS.maxCount);
  const described = kept.map((c) => ({
    name: c.name,
    mimeType: c.mimeType,
    bytes: c.content.length,
    sha256: c.sha256,
    origin: c.name.startsWith(FIGURES_DIR) ? ('figure' as const) : ('file' as const),
    data: null,
    withheld: c.held,
  }));
  if (blocked) return withholdAll(described);
  let inlineLeft = ARTIFACT_LIMITS.inlineTotalBytes;
  const artifacts: Artifact[] = [];
  for (const [i, c] of kept.entries()) {
    const base = described[i]!;
    if (c.held) {
      artifacts.push(base);
      continue;
    }
    const inline = c.content.length <= ARTIFACT_LIMITS.inlineBytes && c.content.length <= inlineLeft;
    if (inline) inlineLeft -= c.content.length;
    const stored = store
      ? await store.put(c.content).then(
          () => true,
          () => false,
        )
      : false;
    if (!inline && !stored) {
      const why = store ? 'storing it failed' : 'it is larger than the inline bound, and nothing stores it here';
      artifacts.push({ ...base, withheld: why });
      continue;
    }
    artifacts.push({ ...base, data: inline ? c.content.toString('base64') : null });
  }
  return artifacts;
}

function utf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function isJson(bytes: Buffer): boolean {
  const text = utf8(bytes);
  if (text === null) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
