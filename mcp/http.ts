/**
 * The MCP server over streamable HTTP at `/mcp`: `node dist/mcp/http.js` (or `airlock mcp --http`).
 *
 * Stateful sessions, as the SDK's examples run them. Each session belongs to the Airlock API key
 * it was opened with (`Authorization: Bearer <key>`): its tools call the API with that key, so the
 * API's tenant scoping applies unchanged, and every later request of the session must carry the
 * same key, so a leaked session id alone is worth nothing.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import {
  hostHeaderValidation,
  localhostHostValidation,
} from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createLogger, type Logger } from '../lib/node/logger';
import { baseUrlFromEnv, createAirlockClient, type ClientFactory } from './client';
import { rpcError, unauthenticated } from './http-replies';
import { McpSessions } from './http-sessions';

export interface McpHttpOptions {
  /** The Airlock API the tools call. */
  apiUrl: string;
  /** The address the server binds: on a loopback address, only loopback Host headers are served. */
  host?: string;
  /** Host names (no port) to serve; replaces the loopback rule, e.g. behind a proxy. */
  allowedHosts?: string[];
  createClient?: ClientFactory;
  /** Check the key against the API when a session opens, so a bad key fails there with 401. */
  verifyKeys?: boolean;
  maxSessions?: number;
  /** Sessions with no request open for this long are closed. */
  idleSessionMs?: number;
  maxTextChars?: number;
  log?: Logger;
}

export interface McpHttpApp {
  app: express.Express;
  sessionCount(): number;
  /** Closes every session and stops the idle sweep. */
  close(): Promise<void>;
}

/** Above the API's 1.5 MiB body: a 1 MiB file goes as base64 inside JSON-RPC. */
const BODY_LIMIT = '4mb';
const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

export function createMcpHttpApp(opts: McpHttpOptions): McpHttpApp {
  const log = opts.log ?? createLogger('airlock-mcp');
  const sessions = new McpSessions({
    log,
    baseUrl: opts.apiUrl.replace(/\/+$/, ''),
    createClient: opts.createClient ?? createAirlockClient,
    maxSessions: opts.maxSessions ?? 1000,
    idleMs: opts.idleSessionMs ?? 30 * 60_000,
    verifyKeys: opts.verifyKeys !== false,
    ...(opts.maxTextChars !== undefined ? { maxTextChars: opts.maxTextChars } : {}),
  });

  const app = express();
  app.disable('x-powered-by');
  // DNS rebinding protection (what the SDK's createMcpExpressApp does, whose JSON parser caps bodies at 100 kB).
  const host = opts.host ?? '127.0.0.1';
  if (opts.allowedHosts) app.use(hostHeaderValidation(opts.allowedHosts));
  else if (LOOPBACK.includes(host)) app.use(localhostHostValidation());
  else log.warn({ host }, 'serving any Host header: set allowedHosts to restrict it');

  // Authentication comes before the body is read: an anonymous request costs nothing.
  app.use('/mcp', requireBearer);
  app.use('/mcp', express.json({ limit: BODY_LIMIT }));

  app.post('/mcp', async (req, res) => {
    if (req.get('mcp-session-id')) {
      const session = sessions.find(req, res);
      if (session) await session.transport.handleRequest(req, res, req.body);
    } else if (!isInitializeRequest(req.body)) {
      rpcError(res, 400, -32000, 'Bad Request: no valid session id; open a session with initialize');
    } else {
      await sessions.open(req, res);
    }
  });

  // GET opens the session's stream of server messages; DELETE ends the session.
  const streamOrEnd: RequestHandler = async (req, res) => {
    if (!req.get('mcp-session-id')) {
      rpcError(res, 400, -32000, 'Bad Request: missing Mcp-Session-Id header');
      return;
    }
    const session = sessions.find(req, res);
    if (session) await session.transport.handleRequest(req, res);
  };
  app.get('/mcp', streamOrEnd);
  app.delete('/mcp', streamOrEnd);
  app.all('/mcp', (_req, res) => {
    res.set('Allow', 'GET, POST, DELETE');
    rpcError(res, 405, -32000, 'Method not allowed');
  });
  app.use(jsonRpcErrors(log));

  return { app, sessionCount: () => sessions.size, close: () => sessions.close() };
}

/** Malformed JSON, a body over the limit, or a failure inside the SDK: a JSON-RPC error, never HTML. */
function jsonRpcErrors(log: Logger): express.ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const status = (err as { status?: number }).status;
    if (status === 413) rpcError(res, 413, -32600, 'Request body too large');
    else if (status === 400) rpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
    else {
      log.error({ err }, 'MCP request failed');
      rpcError(res, 500, -32603, 'Internal server error');
    }
  };
}

const requireBearer: RequestHandler = (req, res, next) => {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) {
    unauthenticated(res, 'missing Authorization: Bearer <Airlock API key>');
    return;
  }
  res.locals.apiKey = match[1];
  next();
};

export interface ServeHttpOptions extends Omit<McpHttpOptions, 'host'> {
  host?: string;
  port?: number;
}

/** Listens until closed; `close` ends the sessions, then the listener. */
export async function serveHttp(
  opts: ServeHttpOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? createLogger('airlock-mcp');
  const mcp = createMcpHttpApp({ ...opts, host, log });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = mcp.app.listen(opts.port ?? 8090, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`;
  log.info({ url, api: opts.apiUrl }, 'Airlock MCP server listening');
  return {
    server,
    url,
    close: async () => {
      await mcp.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `airlock mcp --http` and `node dist/mcp/http.js`: serves until SIGTERM or SIGINT, then exits. */
export async function runHttp(opts: ServeHttpOptions): Promise<void> {
  const { close } = await serveHttp(opts);
  const stop = (): void => void close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  const env = process.env;
  runHttp({
    apiUrl: baseUrlFromEnv(),
    host: env.AIRLOCK_MCP_HOST || '127.0.0.1',
    port: Number(env.AIRLOCK_MCP_PORT || 8090),
    ...(env.AIRLOCK_MCP_ALLOWED_HOSTS ? { allowedHosts: env.AIRLOCK_MCP_ALLOWED_HOSTS.split(',') } : {}),
  }).catch((err: unknown) => {
    process.stderr.write(`airlock mcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
