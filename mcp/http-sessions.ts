/** The open MCP sessions over HTTP, each bound to the API key that opened it. */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../lib/node/logger';
import { isApiError, type AirlockLike } from './airlock-like';
import type { ClientFactory } from './client';
import { rpcError, unauthenticated } from './http-replies';
import { createMcpServer } from './server';

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  keyDigest: Buffer;
  open: number;
  lastActive: number;
}

export interface McpSessionsOptions {
  log: Logger;
  baseUrl: string;
  createClient: ClientFactory;
  maxSessions: number;
  /** Sessions with no request open for this long are closed. */
  idleMs: number;
  verifyKeys: boolean;
  maxTextChars?: number;
}

export class McpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly opts: McpSessionsOptions) {
    this.sweep = setInterval(() => this.closeIdle(), Math.min(60_000, opts.idleMs));
    this.sweep.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The request's session, if it is the caller's; otherwise a 404 is sent. */
  find(req: Request, res: Response): Session | undefined {
    const id = req.get('mcp-session-id');
    const session = id ? this.sessions.get(id) : undefined;
    // Another key's session answers exactly as a missing one does.
    if (!session || !sameKey(session.keyDigest, res.locals.apiKey as string)) {
      rpcError(res, 404, -32001, 'Session not found');
      return undefined;
    }
    // Count open responses, so that a long call or a listening SSE stream is not taken for idleness.
    session.open += 1;
    res.on('close', () => {
      session.open -= 1;
      session.lastActive = Date.now();
    });
    return session;
  }

  /** Answers an initialize request with a new session for the caller's key. */
  async open(req: Request, res: Response): Promise<void> {
    const { log, baseUrl, maxSessions } = this.opts;
    if (this.sessions.size >= maxSessions) {
      rpcError(res, 503, -32000, 'Too many open sessions; retry later');
      return;
    }
    const apiKey = res.locals.apiKey as string;
    const client = this.opts.createClient({ baseUrl, apiKey });
    if (!(await this.keyAccepted(client))) {
      unauthenticated(res, 'invalid or revoked API key', 'invalid_token');
      return;
    }
    const server = createMcpServer({ client, log, maxTextChars: this.opts.maxTextChars });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      // Stored once the id exists, before the answer leaves, so the client's next request finds it.
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, keyDigest: digest(apiKey), open: 0, lastActive: Date.now() });
        log.info({ session: id, sessions: this.sessions.size }, 'MCP session opened');
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id && this.sessions.delete(id)) log.info({ session: id, sessions: this.sessions.size }, 'MCP session closed');
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  /** Closes every session and stops the idle sweep. */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.all([...this.sessions.values()].map((s) => s.server.close()));
  }

  private closeIdle(): void {
    const cutoff = Date.now() - this.opts.idleMs;
    for (const s of this.sessions.values()) if (s.open === 0 && s.lastActive < cutoff) void s.server.close();
  }

  private async keyAccepted(client: AirlockLike): Promise<boolean> {
    const runtimes = client.runtimes;
    if (!this.opts.verifyKeys || !runtimes) return true;
    try {
      await runtimes.list();
      return true;
    } catch (err) {
      if (isApiError(err) && err.status === 401) return false;
      // Anything else (the API down, say) is for the tool calls to report.
      this.opts.log.warn({ err }, 'could not check an API key; opening the session anyway');
      return true;
    }
  }
}

/** Keys are compared as digests, in constant time, and never kept in the clear beside the session. */
function digest(key: string): Buffer {
  return crypto.createHash('sha256').update(key).digest();
}

function sameKey(expected: Buffer, key: string): boolean {
  return crypto.timingSafeEqual(expected, digest(key));
}
