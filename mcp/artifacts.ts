/**
 * Typed artifacts in tool results: images as MCP image content, so the model sees the chart; every
 * artifact named in the text, with where its content is.
 */
import type { ImageContent } from '@modelcontextprotocol/sdk/types.js';
import type { Artifact } from '../lib/schemas/execution-result';
import type { CallOptions } from './airlock-like';

/** Images a model is shown per result, and their bytes in all: more is listed, not attached. */
export const IMAGE_LIMITS = { count: 8, bytes: 8 * 1024 * 1024 };

const SHOWN_TYPES = new Set(['image/png', 'image/jpeg']);

/** Reads an artifact's bytes (the SDK's `executions.artifact`). */
export type ArtifactReader = (artifact: Artifact, opts?: CallOptions) => Promise<Uint8Array>;

/** One line per artifact for the text a model reads. */
export function describeArtifacts(artifacts: Artifact[] | undefined, shown: Set<string>): string[] {
  if (!artifacts?.length) return [];
  return [
    `artifacts (${artifacts.length}):`,
    ...artifacts.map((a) => {
      const where = a.withheld
        ? `withheld: ${a.withheld}`
        : shown.has(a.sha256)
          ? 'shown below'
          : a.data !== null
            ? 'inline in structuredContent'
            : 'by reference (GET /v1/executions/<id>/artifacts/<sha256>)';
      return `- ${a.name} (${a.mimeType}, ${a.bytes} bytes${a.origin === 'figure' ? ', a figure the program showed' : ''}): ${where}`;
    }),
  ];
}

export interface ShownImages {
  content: ImageContent[];
  /** The sha256 of each image shown. */
  shown: Set<string>;
}

/** The images among the artifacts as image content, within IMAGE_LIMITS; one that cannot be read is left out. */
export async function imageContent(
  artifacts: Artifact[] | undefined,
  read: ArtifactReader | undefined,
  opts: CallOptions = {},
): Promise<ShownImages> {
  const images: ImageContent[] = [];
  const shown = new Set<string>();
  let bytesLeft = IMAGE_LIMITS.bytes;
  for (const a of artifacts ?? []) {
    if (images.length >= IMAGE_LIMITS.count) break;
    if (a.withheld !== null || !SHOWN_TYPES.has(a.mimeType) || a.bytes > bytesLeft) continue;
    const data = a.data ?? (read ? await read(a, opts).then(toBase64, () => null) : null);
    if (data === null) continue;
    bytesLeft -= a.bytes;
    images.push({ type: 'image', data, mimeType: a.mimeType });
    shown.add(a.sha256);
  }
  return { content: images, shown };
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
