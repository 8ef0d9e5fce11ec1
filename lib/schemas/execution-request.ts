import { z } from 'zod';
import { Command, EnvName, RelativePath, SourceFile, Text } from './common';
import { RequestedLimits } from './limits';

export const MAX_FILES = 100;
export const MAX_ARGS = 64;
export const MAX_STDIN_CHARS = 1_048_576;

export const LanguageName = z.string().regex(/^[a-z][a-z0-9+_-]{0,31}$/, 'must be a runtime name such as "python"');

export const PolicyName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a policy name such as "default"');

export const TestsRequest = z.strictObject({
  command: Command,
  files: z.array(SourceFile).max(MAX_FILES).default([]),
});
export type TestsRequest = z.infer<typeof TestsRequest>;

/** The body of `POST /v1/executions`. */
export const ExecutionRequest = z
  .strictObject({
    language: LanguageName,
    code: Text.optional(),
    files: z.array(SourceFile).min(1, 'must not be empty').max(MAX_FILES).optional(),
    entrypoint: RelativePath.optional(),
    stdin: Text.pipe(z.string().max(MAX_STDIN_CHARS)).optional(),
    args: z
      .array(Text.pipe(z.string().max(4096)))
      .max(MAX_ARGS)
      .optional(),
    env: z
      .record(EnvName, Text.pipe(z.string().max(32_768)))
      .refine((e) => Object.keys(e).length <= 64, 'must have at most 64 variables')
      .optional(),
    policy: PolicyName.optional(),
    limits: RequestedLimits.optional(),
    tests: TestsRequest.optional(),
  })
  .superRefine((req, ctx) => {
    if (req.code === undefined && req.files === undefined) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'either code or files is required' });
    }
    if (req.code !== undefined && req.files !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'give either code or files, not both' });
    }
    if (req.files !== undefined) {
      if (req.entrypoint === undefined) {
        ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: 'is required with files' });
      } else if (!req.files.some((f) => f.path === req.entrypoint)) {
        ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: 'must name one of the files' });
      }
    } else if (req.entrypoint !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: 'is only allowed with files' });
    }
    const seen = new Set<string>();
    const all = [...(req.files ?? []), ...(req.tests?.files ?? [])];
    all.forEach((f) => {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files'], message: `duplicate path "${f.path}"` });
      seen.add(f.path);
    });
  });
export type ExecutionRequest = z.input<typeof ExecutionRequest>;
export type ParsedExecutionRequest = z.output<typeof ExecutionRequest>;

/**
 * What the API hands to the workflow: the request normalised (code turned into a file,
 * defaults applied) plus who submitted it. Plain data, so workflows can import it type-only.
 */
export interface ExecutionInput {
  executionId: string;
  tenant: string;
  keyId: string;
  language: string;
  policy: string;
  files: SourceFile[];
  entrypoint: string;
  stdin?: string;
  args: string[];
  env: Record<string, string>;
  limits: RequestedLimits;
  tests?: TestsRequest;
  submittedAt: string;
}
