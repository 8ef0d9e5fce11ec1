/** A real MCP client connected to the server over an in-memory transport, with a fake API behind it. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../mcp/server';
import { fakeAirlock, type FakeAirlock } from './fake-airlock';

// Live bindings: test files read these after each connect().
export let airlock: FakeAirlock;
export let client: Client;

export async function connect(opts: { maxTextChars?: number; heartbeatMs?: number } = {}): Promise<void> {
  airlock = fakeAirlock();
  const server = createMcpServer({ client: airlock, ...opts });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: 'test', version: '1.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
}

/** A fresh server, client and fake API for every test of the calling file. */
export function useMcpClient(): void {
  beforeEach(() => connect());
  afterEach(() => client.close());
}

export async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The text blocks of a result, joined. */
export function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  return result.structuredContent as T;
}
