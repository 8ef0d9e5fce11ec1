/**
 * The MCP server on stdio, for clients that spawn it: `node dist/mcp/stdio.js` (or `airlock mcp`).
 * One client, one API key: `$AIRLOCK_API_KEY`, else the embedded service's key file, as the CLI
 * finds it; the API at `$AIRLOCK_URL`. stdout is the protocol, so everything else goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { resolveApiKey } from '../lib/node/api-key-file';
import type { Logger } from '../lib/node/logger';
import { baseUrlFromEnv, createAirlockClient, stderrLogger, type ClientFactory } from './client';
import { createMcpServer } from './server';

export interface StdioOptions {
  /** Default: `$AIRLOCK_URL`, else http://127.0.0.1:8080. */
  apiUrl?: string;
  /** Default: `$AIRLOCK_API_KEY`, else the key file `airlock keys bootstrap` wrote. */
  apiKey?: string;
  log?: Logger;
  createClient?: ClientFactory;
}

export class MissingApiKeyError extends Error {}

/** Serves until the client closes stdin (or a signal), then exits the process. */
export async function serveStdio(opts: StdioOptions = {}): Promise<McpServer> {
  const log = opts.log ?? stderrLogger('airlock-mcp');
  const baseUrl = (opts.apiUrl ?? baseUrlFromEnv()).replace(/\/+$/, '');
  const apiKey = opts.apiKey ?? resolveApiKey();
  // Fail at start rather than on every tool call: the client shows a server that would not start.
  if (!apiKey) throw new MissingApiKeyError('no Airlock API key: set AIRLOCK_API_KEY (see `airlock keys`)');

  const server = createMcpServer({ client: (opts.createClient ?? createAirlockClient)({ baseUrl, apiKey }), log });
  await server.connect(new StdioServerTransport());
  log.info({ api: baseUrl }, 'Airlock MCP server on stdio');

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'Airlock MCP server stopping');
    void server.close().finally(() => process.exit(0));
  };
  // Clients end a stdio session by closing the server's stdin (then signalling, if it lingers).
  process.stdin.once('end', () => stop('stdin closed'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}

if (require.main === module) {
  serveStdio().catch((err: unknown) => {
    process.stderr.write(`airlock mcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
