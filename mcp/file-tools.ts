/** Tools for a sandbox's files: write, read, list. */
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SandboxDirectory } from '../lib/schemas/sandbox';
import { errorResult, invalidArgument, summarizeEntries, textResult } from './results';
import { filePath, sandboxId, type ToolContext } from './tool-support';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function registerFileTools(server: McpServer, ctx: ToolContext): void {
  registerWriteFile(server, ctx);
  registerReadFile(server, ctx);
  registerListFiles(server, ctx);
}

function registerWriteFile(server: McpServer, { handles }: ToolContext): void {
  server.registerTool(
    'sandbox_write_file',
    {
      title: 'Write a file in a sandbox',
      description:
        "Write a file into a sandbox's workspace, creating parent directories and replacing any file already there " +
        '(up to 1 MiB). `content` is text by default; set encoding "base64" for binary data. The content passes ' +
        "the policy's security gates (a secret in it is refused).",
      inputSchema: z.strictObject({
        sandboxId,
        path: filePath,
        content: z.string().describe('The whole file: text, or base64 when encoding is "base64".'),
        encoding: z.enum(['utf8', 'base64']).optional().describe('How `content` is given (default utf8).'),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      let data: string | Uint8Array = args.content;
      if (args.encoding === 'base64') {
        if (!BASE64.test(args.content)) return invalidArgument('content', 'is not valid base64');
        data = new Uint8Array(Buffer.from(args.content, 'base64'));
      }
      try {
        const sbx = await handles.get(args.sandboxId, extra.signal);
        const written = await sbx.files.write(args.path, data, { signal: extra.signal });
        return textResult(`wrote ${written.bytes} bytes to ${written.path} (sha256 ${written.sha256})`, { ...written });
      } catch (err) {
        return errorResult(err, { 'query.path': 'path', '(body)': 'content' });
      }
    },
  );
}

function registerReadFile(server: McpServer, { handles }: ToolContext): void {
  server.registerTool(
    'sandbox_read_file',
    {
      title: 'Read a file from a sandbox',
      description:
        "Read a file from a sandbox's workspace (up to 1 MiB), e.g. one a program wrote. Returns its text when it is " +
        'valid UTF-8; otherwise (or with encoding "base64") its bytes as base64, with a note saying so.',
      inputSchema: z.strictObject({
        sandboxId,
        path: filePath,
        encoding: z
          .enum(['utf8', 'base64'])
          .optional()
          .describe('utf8 (default): the text when the file is valid UTF-8, else base64. base64: always base64.'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      try {
        const sbx = await handles.get(args.sandboxId, extra.signal);
        const bytes = await sbx.files.read(args.path, { signal: extra.signal });
        const size = bytes.byteLength;
        if (args.encoding !== 'base64' && isUtf8(bytes)) {
          const text = Buffer.from(bytes).toString('utf8');
          return textResult(text, { path: args.path, bytes: size, encoding: 'utf8', content: text });
        }
        const base64 = Buffer.from(bytes).toString('base64');
        const why = args.encoding === 'base64' ? 'as asked' : 'because it is not valid UTF-8 text';
        return {
          content: [
            { type: 'text', text: `${args.path}: ${size} bytes, given as base64 ${why}:` },
            { type: 'text', text: base64 },
          ],
          structuredContent: { path: args.path, bytes: size, encoding: 'base64', content: base64 },
        };
      } catch (err) {
        return errorResult(err, { 'query.path': 'path' });
      }
    },
  );
}

function registerListFiles(server: McpServer, { handles }: ToolContext): void {
  server.registerTool(
    'sandbox_list_files',
    {
      title: 'List files in a sandbox',
      description: "List a directory of a sandbox's workspace: names, types and sizes.",
      inputSchema: z.strictObject({
        sandboxId,
        path: SandboxDirectory.optional().describe('Directory relative to the workspace (default ".", its root).'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      try {
        const dir = args.path ?? '.';
        const sbx = await handles.get(args.sandboxId, extra.signal);
        const entries = await sbx.files.list(dir, { signal: extra.signal });
        return textResult(summarizeEntries(dir, entries), { path: dir, entries });
      } catch (err) {
        return errorResult(err, { 'query.path': 'path' });
      }
    },
  );
}
