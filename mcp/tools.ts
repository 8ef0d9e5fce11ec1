/** The Airlock tools: one-shot runs, and sandboxes an agent works in step by step. */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Command } from '../lib/schemas/common';
import { SandboxCreateRequest } from '../lib/schemas/sandbox';
import type { Artifact } from '../lib/schemas/execution-result';
import type { AirlockLike, CallOptions } from './airlock-like';
import { imageContent } from './artifacts';
import { registerFileTools } from './file-tools';
import {
  errorResult,
  invalidArgument,
  summarizeExecution,
  summarizeSandbox,
  summarizeStep,
  textResult,
} from './results';
import {
  SandboxHandles,
  language,
  policy,
  sandboxId,
  stdin,
  timeoutSeconds,
  version,
  template,
  withHeartbeat,
  type Extra,
  type ToolContext,
} from './tool-support';

export interface ToolOptions {
  client: AirlockLike;
  maxTextChars: number;
  /** How often a long call reports progress to a client that asked for it (keeps its timeout from firing). */
  heartbeatMs: number;
}

export function registerTools(server: McpServer, opts: ToolOptions): void {
  const { client, maxTextChars } = opts;
  const heartbeat = <T>(extra: Extra, work: Promise<T>): Promise<T> => withHeartbeat(extra, work, opts.heartbeatMs);
  const ctx: ToolContext = { client, handles: new SandboxHandles(client), maxTextChars, heartbeat };
  // The order is the order clients list them in.
  registerRunCode(server, ctx);
  registerSandboxCreate(server, ctx);
  registerSandboxExec(server, ctx);
  registerFileTools(server, ctx);
  registerSandboxClose(server, ctx);
}

function registerRunCode(server: McpServer, { client, heartbeat, maxTextChars }: ToolContext): void {
  server.registerTool(
    'run_code',
    {
      title: 'Run code once',
      description:
        'Run a self-contained program once in a fresh, isolated Airlock sandbox (no network, ' +
        'CPU/memory/time limits, security gates) and get its status, exit code, stdout and stderr. ' +
        'For work in several steps (write files, run, read the error, fix, run again) use sandbox_create ' +
        'instead. What the program does is reported as a normal result: a non-zero exit, a compile error ' +
        'or a time limit is in `status`, not an error. An error result means Airlock refused the call ' +
        '(bad argument, policy limit) or could not be reached.',
      inputSchema: z.strictObject({
        language,
        version: version.optional(),
        template: template.optional(),
        code: z
          .string()
          .min(1)
          .describe("The whole program. It becomes the runtime's main file (main.py, Main.java, …)."),
        stdin: stdin.optional(),
        timeoutSeconds: timeoutSeconds.optional(),
        policy: policy.optional(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args, extra) => {
      try {
        const result = await heartbeat(
          extra,
          client.executions.run(
            {
              language: args.language,
              ...(args.version !== undefined ? { version: args.version } : {}),
              ...(args.template !== undefined ? { template: args.template } : {}),
              code: args.code,
              ...(args.stdin !== undefined ? { stdin: args.stdin } : {}),
              ...(args.policy !== undefined ? { policy: args.policy } : {}),
              // The API counts milliseconds in whole numbers.
              ...(args.timeoutSeconds !== undefined
                ? { limits: { timeoutMs: Math.ceil(args.timeoutSeconds * 1000) } }
                : {}),
            },
            { signal: extra.signal },
          ),
        );
        const { executions } = client;
        const read =
          executions.artifact && ((a: Artifact, opts?: CallOptions) => executions.artifact!(result.id, a, opts));
        const images = await imageContent(result.artifacts, read, { signal: extra.signal });
        const reply = textResult(summarizeExecution(result, maxTextChars, images.shown), result);
        return { ...reply, content: [...reply.content, ...images.content] };
      } catch (err) {
        return errorResult(err, { 'limits.timeoutMs': 'timeoutSeconds', limits: 'timeoutSeconds' });
      }
    },
  );
}

function registerSandboxCreate(server: McpServer, { client, handles, heartbeat }: ToolContext): void {
  server.registerTool(
    'sandbox_create',
    {
      title: 'Create a sandbox',
      description:
        'Create a persistent Airlock sandbox: an isolated container (no network) whose files and effects persist ' +
        'from step to step. Use it to iterate: sandbox_write_file, sandbox_exec, sandbox_read_file, fix, run again. ' +
        'Returns the sandboxId the other sandbox_* tools take. It is torn down after idleTimeoutSeconds without a ' +
        'step, or maxLifetimeSeconds after creation; call sandbox_close when done.',
      inputSchema: z.strictObject({
        language: language.describe('Runtime of the programs sandbox_exec runs as `code` (python, javascript, go, …).'),
        version: version.optional(),
        template: template.optional(),
        policy: policy.optional(),
        // The API's bounds, without its defaults: the API applies those.
        idleTimeoutSeconds: SandboxCreateRequest.shape.idleTimeoutSeconds
          .unwrap()
          .optional()
          .describe('Seconds without a step before the sandbox is torn down (10-3600, default 300).'),
        maxLifetimeSeconds: SandboxCreateRequest.shape.maxLifetimeSeconds
          .unwrap()
          .optional()
          .describe('Seconds after creation when it is torn down whatever happens (60-86400, default 3600).'),
      }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args, extra) => {
      try {
        const sbx = await heartbeat(extra, client.sandboxes.create(args, { signal: extra.signal }));
        handles.remember(sbx);
        const info = sbx.info;
        // The SDK throws for a sandbox that could not start (errorResult says why); a client that answers it
        // as created, with why in `end`, is taken alike: for the agent it is a failure.
        const failed = info.status === 'failed' || info.status === 'closed' || info.status === 'lost';
        const next = failed
          ? 'It cannot be used; fix the cause and create another.'
          : `Use sandboxId "${info.id}" with sandbox_write_file, sandbox_exec, sandbox_read_file; ` +
            'sandbox_close when done.';
        return { ...textResult(`${summarizeSandbox(info)}\n${next}`, info), ...(failed ? { isError: true } : {}) };
      } catch (err) {
        return errorResult(err);
      }
    },
  );
}

function registerSandboxExec(server: McpServer, { handles, heartbeat, maxTextChars }: ToolContext): void {
  server.registerTool(
    'sandbox_exec',
    {
      title: 'Run a step in a sandbox',
      description:
        'Run one step in a sandbox and get its status, exit code, stdout and stderr. Give exactly one of ' +
        "`code` (a program in the sandbox's language, run as a fresh main file) or `command` (a string run " +
        'with /bin/sh -c, or an argv array, e.g. "python3 main.py" or ["python3", "-m", "pytest", "-q"]). ' +
        'It runs in the workspace (/workspace), where sandbox_write_file puts files and where files written ' +
        'by earlier steps remain. Steps of one sandbox run one at a time. A non-zero exit is a normal result, ' +
        'not an error.',
      inputSchema: z.strictObject({
        sandboxId,
        code: z.string().min(1).optional().describe("A program in the sandbox's language. Not with `command`."),
        command: Command.optional().describe('A shell command string (/bin/sh -c) or an argv array. Not with `code`.'),
        stdin: stdin.optional(),
        timeoutSeconds: timeoutSeconds.optional(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args, extra) => {
      // The schema cannot say "exactly one of" in a way every client shows, so the tool says it.
      if ((args.code === undefined) === (args.command === undefined)) {
        return invalidArgument('code', 'give exactly one of code or command');
      }
      try {
        const sbx = await handles.get(args.sandboxId, extra.signal);
        const stepOpts = {
          signal: extra.signal,
          ...(args.stdin !== undefined ? { stdin: args.stdin } : {}),
          ...(args.timeoutSeconds !== undefined ? { timeoutSeconds: args.timeoutSeconds } : {}),
        };
        const step = await heartbeat(
          extra,
          args.code !== undefined ? sbx.run(args.code, stepOpts) : sbx.exec(args.command!, stepOpts),
        );
        const read = sbx.artifact && ((a: Artifact, opts?: CallOptions) => sbx.artifact!(step, a, opts));
        const images = await imageContent(step.artifacts, read, { signal: extra.signal });
        const reply = textResult(summarizeStep(step, maxTextChars, images.shown), step);
        return { ...reply, content: [...reply.content, ...images.content] };
      } catch (err) {
        return errorResult(err);
      }
    },
  );
}

function registerSandboxClose(server: McpServer, { handles }: ToolContext): void {
  server.registerTool(
    'sandbox_close',
    {
      title: 'Close a sandbox',
      description:
        'Tear a sandbox down now and free its resources; its files are gone. Returns its final state. Closing one ' +
        'that has already ended just returns its state.',
      inputSchema: z.strictObject({ sandboxId }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      try {
        const sbx = await handles.get(args.sandboxId, extra.signal);
        const info = await sbx.close({ signal: extra.signal });
        handles.forget(args.sandboxId);
        return textResult(summarizeSandbox(info), info);
      } catch (err) {
        return errorResult(err);
      }
    },
  );
}
