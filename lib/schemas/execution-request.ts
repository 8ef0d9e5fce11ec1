import { z } from 'zod';
import { Command, EnvName, RelativePath, SourceFile, TemplateId, Text } from './common';
import type { TemplateRef } from './template';
import { RequestedLimits } from './limits';
import { RuntimeVersionName } from './runtime';

export const MAX_FILES = 100;
export const MAX_ARGS = 64;
export const MAX_STDIN_CHARS = 1_048_576;
export const MAX_CASES = 100;

export const LanguageName = z.string().regex(/^[a-z][a-z0-9+_-]{0,31}$/, 'must be a runtime name such as "python"');

export const PolicyName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a policy name such as "default"');

export const TestsRequest = z.strictObject({
  /** Defaults to the runtime's test runner (pytest, node --test, go test, JUnit, ...). */
  command: Command.optional(),
  files: z.array(SourceFile).max(MAX_FILES, `must have at most ${MAX_FILES} files`).default([]),
});
export type TestsRequest = z.infer<typeof TestsRequest>;

const Args = z.array(Text.pipe(z.string().max(4096))).max(MAX_ARGS);
const Stdin = Text.pipe(z.string().max(MAX_STDIN_CHARS));

/** One judged run of the compiled program: its own stdin and args, and what it should print. */
export const TestCase = z.strictObject({
  stdin: Stdin.optional(),
  args: Args.optional(),
  expectedStdout: Stdin.optional(),
});
export type TestCase = z.infer<typeof TestCase>;

/** Build outputs and reports live under this folder of the workspace; submitted files may not. */
export const RESERVED_DIR = '.airlock';

/** The body of `POST /v1/executions`. */
export const ExecutionRequest = z
  .strictObject({
    language: LanguageName,
    /** One of the language's versions in `GET /v1/runtimes`; default its newest. */
    version: RuntimeVersionName.optional(),
    /** One of the tenant's ready templates of this language (`POST /v1/templates`): its image instead of the runtime's. */
    template: TemplateId.optional(),
    code: Text.optional(),
    files: z
      .array(SourceFile)
      .min(1, 'must not be empty')
      .max(MAX_FILES, `must have at most ${MAX_FILES} files`)
      .optional(),
    entrypoint: RelativePath.optional(),
    stdin: Stdin.optional(),
    args: Args.optional(),
    /** Judging: the run's stdout must equal this, or the execution is a wrong answer. */
    expectedStdout: Stdin.optional(),
    /** Ignore trailing whitespace on each line and trailing blank lines when comparing. */
    normalizeTrailingWhitespace: z.boolean().default(true),
    /** Compile once, run once per case in a fresh process. */
    cases: z.array(TestCase).min(1, 'must not be empty').max(MAX_CASES).optional(),
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
        if (req.tests === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['entrypoint'],
            message: 'is required with files (unless only tests run)',
          });
        }
      } else if (!req.files.some((f) => f.path === req.entrypoint)) {
        ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: 'must name one of the files' });
      }
    } else if (req.entrypoint !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: 'is only allowed with files' });
    }
    if (req.cases !== undefined) {
      for (const field of ['stdin', 'expectedStdout', 'args'] as const) {
        if (req[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: 'give it per case when cases are given' });
        }
      }
      if (req.files !== undefined && req.entrypoint === undefined) {
        ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: 'is required with cases' });
      }
    }
    const seen = new Set<string>();
    const all = [...(req.files ?? []), ...(req.tests?.files ?? [])];
    all.forEach((f) => {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files'], message: `duplicate path "${f.path}"` });
      if (f.path === RESERVED_DIR || f.path.startsWith(`${RESERVED_DIR}/`)) {
        ctx.addIssue({
          code: 'custom',
          path: ['files'],
          message: `"${f.path}": ${RESERVED_DIR}/ is reserved for build output`,
        });
      }
      seen.add(f.path);
    });
  });
export type ExecutionRequest = z.input<typeof ExecutionRequest>;
export type ParsedExecutionRequest = z.output<typeof ExecutionRequest>;

export const MAX_BATCH = 100;

/** `POST /v1/executions/batch`. Each item is an ExecutionRequest, checked on its own so an error names it. */
export const BatchRequest = z.strictObject({
  executions: z
    .array(z.unknown())
    .min(1, 'must not be empty')
    .max(MAX_BATCH, `must have at most ${MAX_BATCH} executions`),
});

/**
 * What the API hands to the workflow: the request normalised (code turned into a file,
 * defaults applied) plus who submitted it. Plain data, so workflows can import it type-only.
 */
export interface ExecutionInput {
  executionId: string;
  tenant: string;
  keyId: string;
  language: string;
  /** The runtime version the API resolved; absent in inputs from before versions, which mean the newest. */
  version?: string;
  /** The template the API resolved for the request: its image, env and hash. */
  template?: TemplateRef;
  policy: string;
  files: SourceFile[];
  /** Null when only tests run. */
  entrypoint: string | null;
  stdin?: string;
  args: string[];
  expectedStdout?: string;
  normalizeTrailingWhitespace: boolean;
  cases?: TestCase[];
  env: Record<string, string>;
  limits: RequestedLimits;
  tests?: TestsRequest;
  submittedAt: string;
  /** Set when the tenant has in-flight quotas: the API took a lease for it, granted or queued. */
  lease?: { queued: boolean };
}
