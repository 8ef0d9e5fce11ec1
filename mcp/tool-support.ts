/** What the tool modules share: argument schemas, sandbox handles, progress while waiting. */
import { z } from 'zod';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { RelativePath, TemplateId } from '../lib/schemas/common';
import { LanguageName, MAX_STDIN_CHARS, PolicyName } from '../lib/schemas/execution-request';
import { RuntimeVersionName } from '../lib/schemas/runtime';
import { MAX_STEP_TIMEOUT_SECONDS } from '../lib/schemas/sandbox';
import { ID_PATTERN } from '../lib/rules';
import type { AirlockLike, SandboxLike } from './airlock-like';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolContext {
  client: AirlockLike;
  handles: SandboxHandles;
  maxTextChars: number;
  /** Resolves `work`, reporting progress meanwhile to a client that asked for it. */
  heartbeat<T>(extra: Extra, work: Promise<T>): Promise<T>;
}

// The language, policy and path rules are the API's own, so a bad argument is refused before any
// call, with the message the API would give.
export const language = LanguageName.describe(
  'Runtime: python, javascript, typescript, go, java, c, cpp, rust, bash or ruby ' +
    '(the resource airlock://runtimes lists them with versions).',
);
export const version = RuntimeVersionName.describe(
  'The language\'s version, e.g. "3.11" for python (default: its newest; airlock://runtimes lists them).',
);
export const template = TemplateId.describe(
  'One of your templates (tpl-…, from `airlock template list`): its packages and files on top of the runtime.',
);
export const policy = PolicyName.describe(
  'Airlock policy to run under (default "default"); it sets the limits, the security gates and the languages allowed.',
);
export const sandboxId = z
  .string()
  .regex(ID_PATTERN, 'must be a sandbox id as sandbox_create returned it')
  .describe('The sandbox id that sandbox_create returned (sbx_…).');
export const stdin = z
  .string()
  .max(MAX_STDIN_CHARS)
  .describe("Text written to the program's standard input, which is then closed.");
export const timeoutSeconds = z
  .number()
  .positive()
  .max(MAX_STEP_TIMEOUT_SECONDS)
  .describe("Wall-clock limit in seconds (default and ceiling: the policy's).");
export const filePath = RelativePath.describe(
  'Path relative to the workspace (/workspace), e.g. "main.py" or "src/util.py": no leading /, no .. segments.',
);

/** Handles this session has used, so a step costs one API call rather than a lookup and a call. */
export class SandboxHandles {
  private static readonly MAX = 100;
  private readonly handles = new Map<string, SandboxLike>();

  constructor(private readonly client: AirlockLike) {}

  async get(id: string, signal: AbortSignal): Promise<SandboxLike> {
    return this.handles.get(id) ?? this.remember(await this.client.sandboxes.get(id, { signal }));
  }

  remember(sbx: SandboxLike): SandboxLike {
    this.handles.delete(sbx.id);
    this.handles.set(sbx.id, sbx);
    // Maps iterate in insertion order: the first key is the least recently remembered.
    if (this.handles.size > SandboxHandles.MAX) this.handles.delete(this.handles.keys().next().value!);
    return sbx;
  }

  forget(id: string): void {
    this.handles.delete(id);
  }
}

/**
 * Reports progress while a long call runs, to a client that sent a progress token: a client that
 * resets its request timeout on progress then waits for a long program instead of giving up.
 */
export async function withHeartbeat<T>(extra: Extra, work: Promise<T>, everyMs: number): Promise<T> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return work;
  let beats = 0;
  const timer = setInterval(() => {
    beats += 1;
    const message = `still running after ${Math.round((beats * everyMs) / 1000)} s`;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: beats, message },
      })
      .catch(() => undefined);
  }, everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
