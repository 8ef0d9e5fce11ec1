/**
 * The supervisor's wire format (images/supervisor/frames.go): [u32 length of what follows][u8 kind]
 * [u32 request id][payload], big-endian, on the container's attach stream.
 */
export const FRAME_HEADER_BYTES = 9;
export const MAX_FRAME_BYTES = 96 * 1024 * 1024;

export const FrameKind = {
  hello: 'H',
  run: 'R',
  kill: 'K',
  pack: 'P',
  stdout: 'O',
  stderr: 'E',
  exit: 'X',
  tar: 'T',
  packed: 'D',
  failed: 'F',
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/**
 * Opens every channel: a zero length no frame has, then a fixed phrase. A supervisor left waiting
 * on a frame that a dead host cut short drops it and reads on to the next marker.
 */
export const SYNC_MARKER = Buffer.concat([Buffer.alloc(4), Buffer.from('AIRLOCK-SYNC-V1\n')]);

export interface Frame {
  kind: string;
  id: number;
  payload: Buffer;
}

export function encodeFrame(kind: FrameKind, id: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payload.length + 5, 0);
  header.write(kind, 4, 'latin1');
  header.writeUInt32BE(id, 5);
  return Buffer.concat([header, payload]);
}

/** A run request's payload: [u32 json length][json][files tar]. */
export function encodeRunPayload(request: object, files: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(request));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length, 0);
  return Buffer.concat([length, json, files]);
}

/** Cuts a byte stream into frames; a length out of bounds means the stream cannot be trusted. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    let data = Buffer.concat(this.pending, this.pendingBytes);
    while (data.length >= FRAME_HEADER_BYTES) {
      const length = data.readUInt32BE(0);
      if (length < 5 || length > MAX_FRAME_BYTES) throw new Error(`supervisor frame length ${length} out of bounds`);
      if (data.length < 4 + length) break;
      frames.push({
        kind: data.toString('latin1', 4, 5),
        id: data.readUInt32BE(5),
        payload: data.subarray(FRAME_HEADER_BYTES, 4 + length),
      });
      data = data.subarray(4 + length);
    }
    this.pending = data.length > 0 ? [data] : [];
    this.pendingBytes = data.length;
    return frames;
  }
}
