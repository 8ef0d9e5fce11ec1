/**
 * The Airlock MCP server: tools that run untrusted code through the Airlock API. It knows nothing
 * about transports (stdio.ts and http.ts connect it) nor about credentials: the client it is given
 * already carries the API key, so each HTTP session gets a server of its own, scoped to its key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { PROJECT_ROOT } from '../lib/node/paths';
import type { Logger } from '../lib/node/logger';
import type { AirlockLike } from './airlock-like';
import { DEFAULT_MAX_TEXT_CHARS } from './results';
import { registerTools } from './tools';

export interface McpServerOptions {
  client: AirlockLike;
  log?: Logger;
  /** Characters of each output stream in a tool's text (the full output is in `structuredContent`). */
  maxTextChars?: number;
  /** Interval of progress notifications during a long call, for clients that ask for them. */
  heartbeatMs?: number;
}

export const RUNTIMES_URI = 'airlock://runtimes';

/** Read by clients that show server instructions to the model: when to use which tool. */
const INSTRUCTIONS = [
  'Airlock runs untrusted code in hardened, isolated containers: no network (nothing can be downloaded or installed),',
  'CPU, memory and time limits, and security gates that may refuse code (secrets, dangerous imports).',
  'Use run_code for a self-contained program run once. For iterative work create a sandbox (sandbox_create), then',
  'write files (sandbox_write_file), run code or commands (sandbox_exec),',
  'read files (sandbox_read_file, sandbox_list_files),',
  'and close it (sandbox_close) when done. A program that fails is reported in `status` with its exit code and output;',
  'an error result means Airlock refused the call, and its text names the argument at fault.',
].join(' ');

export function createMcpServer(opts: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'airlock', title: 'Airlock', version: projectVersion() },
    { instructions: INSTRUCTIONS },
  );
  registerTools(server, {
    client: opts.client,
    maxTextChars: opts.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS,
    heartbeatMs: opts.heartbeatMs ?? 10_000,
  });

  const runtimes = opts.client.runtimes;
  if (runtimes) {
    server.registerResource(
      'runtimes',
      RUNTIMES_URI,
      {
        title: 'Airlock runtimes',
        description:
          'The languages Airlock runs, with their versions, file extensions, whether they compile, ' +
          'and their test report format.',
        mimeType: 'application/json',
      },
      async (uri, extra) => {
        // A failure here is a protocol error: resources have no `isError` result to carry it.
        const list = await runtimes.list({ signal: extra.signal });
        return {
          contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ runtimes: list }) }],
        };
      },
    );
  }
  opts.log?.debug({ resources: runtimes ? [RUNTIMES_URI] : [] }, 'MCP server created');
  return server;
}

let version: string | undefined;

function projectVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
      version = pkg.version ?? '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
