// Plain types and constants shared by the host (which sends output), the workflows (which keep the
// event log) and the API (which serves it); workflows import this file, so it stays free of I/O.

export type OutputStream = 'stdout' | 'stderr';

/** One piece of a process's output, sent from the host to the workflow while the process runs. */
export interface OutputChunk {
  /** What the output belongs to: a stage of an execution (`run`), or a sandbox step id. */
  scope: string;
  stage: string;
  stream: OutputStream;
  /** Characters of this scope's stream sent before this chunk: a resent chunk is recognised and dropped. */
  offset: number;
  text: string;
}

export const OUTPUT_CHUNK_SIGNAL = 'outputChunk';
export const EVENTS_QUERY = 'events';

/** How often the host sends what it has collected; a process that ends sooner sends nothing. */
export const LIVE_FLUSH_INTERVAL_MS = 250;

/** A page of the event log: every event after `after`, up to the page bound. */
export interface EventsQueryInput {
  after: number;
  /** A sandbox step id: only that step's events. */
  scope?: string;
}
