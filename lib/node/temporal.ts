import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { SearchAttributeKey, SearchAttributeType } from '@temporalio/common/lib/search-attributes';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../search-attributes';
import { payloadCodec } from './payload-codec';
import { tracingClientInterceptors } from './tracing';

/** The failure converter (lib/failure-converter.ts), by path: workflow bundles take it so too. */
export const FAILURE_CONVERTER_PATH = require.resolve('../failure-converter');

/** Workers decode what they are given and encode what they answer with the same codec as the clients. */
export function workerDataConverter(codec: PayloadCodec = payloadCodec()): {
  payloadCodecs: PayloadCodec[];
  failureConverterPath: string;
} {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** Where Temporal is and how to prove who we are to it (lib/node/config.ts reads it from the environment). */
export interface TemporalTarget {
  address: string;
  /** true: TLS with the system's roots; an object for a private CA, mTLS or another server name. */
  tls?: TLSConfig | boolean;
  /** Sent as `Authorization: Bearer` (Temporal Cloud API keys); turns TLS on unless tls is false. */
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** Connects, retrying while the server starts: workers and the API may come up first. */
export async function connectWithRetry(target: TemporalTarget, timeoutMs = 60_000): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Connection.connect({ ...target, connectTimeout: 2_000 });
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal at ${target.address} did not answer within ${timeoutMs} ms: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * A client whose payloads go through the deployment's codec (lib/node/payload-codec.ts), so what it
 * writes is ciphertext in Temporal. With tracing on (lib/node/tracing.ts, started first), each workflow
 * call joins the caller's trace.
 */
export function createClient(connection: Connection, namespace: string, codec: PayloadCodec = payloadCodec()): Client {
  return new Client({
    connection,
    namespace,
    interceptors: tracingClientInterceptors(),
    dataConverter: workerDataConverter(codec),
  });
}

const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** Registers Airlock's search attributes; a no-op for those already present. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: SearchAttributeKey<SearchAttributeType>[] = ALL_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = keys.filter((k) => !present.has(k.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_TYPES[k.type]!])),
  });
  return missing.map((k) => k.name);
}
