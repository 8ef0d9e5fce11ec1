/**
 * The real client behind the tools: the Airlock SDK, plus what the entry points share (where the
 * API is, a logger that keeps stdout free). The only module of mcp/ that loads the SDK's code.
 */
import pino from 'pino';
import { Airlock, baseUrlFromEnv } from '../sdk/src';
import type { Logger } from '../lib/node/logger';
import type { AirlockLike } from './airlock-like';

/** `$AIRLOCK_URL`, else the embedded service: the SDK's own default. */
export { baseUrlFromEnv };

export interface ClientConfig {
  baseUrl: string;
  apiKey: string;
}

/** Makes the client one MCP session uses; http.ts makes one per session, with that session's key. */
export type ClientFactory = (config: ClientConfig) => AirlockLike;

export const createAirlockClient: ClientFactory = (config) => {
  const airlock = new Airlock({ baseUrl: config.baseUrl, apiKey: config.apiKey });
  return {
    executions: airlock.executions,
    sandboxes: airlock.sandboxes,
    runtimes: { list: (opts) => airlock.runtimes(opts) },
  };
};

/**
 * pino writing to stderr: on stdio, stdout carries the protocol and one stray line breaks the
 * client. Same shape as lib/node/logger's, which writes to stdout.
 */
export function stderrLogger(name: string, level = process.env.AIRLOCK_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}
