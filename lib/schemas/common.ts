import { z } from 'zod';
import { relativePathProblem } from '../relative-path';
import { BASE64_PATTERN } from '../rules';

/** A string checked by one of the plain rules the workflows share (`problem` answers why it is bad, or null). */
export function stringRule(problem: (value: string) => string | null): z.ZodString {
  return z.string().superRefine((value, ctx) => {
    const why = problem(value);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });
}

/** A path inside the sandbox workspace: relative, no `..`, no NUL, no backslashes. */
export const RelativePath = stringRule(relativePathProblem);

/** Lone UTF-16 surrogates cannot be encoded as UTF-8: such a string did not come from UTF-8 text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const UNICODE_MESSAGE = 'must be valid Unicode text (send binary content as base64)';

/** A string that is valid UTF-8 when encoded. */
export const Text = z.string().refine((s) => !LONE_SURROGATE.test(s), UNICODE_MESSAGE);

export const Encoding = z.enum(['utf8', 'base64']);

/** A template id: `tpl-` and the first 24 hex digits of its spec's sha256. */
export const TemplateId = z
  .string()
  .regex(/^tpl-[0-9a-f]{24}$/, 'must be a template id such as "tpl-0123456789abcdef01234567"');

export const SourceFile = z
  .strictObject({
    path: RelativePath,
    content: z.string(),
    encoding: Encoding.default('utf8'),
  })
  .superRefine((file, ctx) => {
    if (file.encoding === 'base64' && !BASE64_PATTERN.test(file.content)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'is not valid base64' });
    } else if (file.encoding === 'utf8' && LONE_SURROGATE.test(file.content)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: UNICODE_MESSAGE });
    }
  });
export type SourceFile = z.infer<typeof SourceFile>;

/** POSIX-portable environment variable names; the sandbox's own variables cannot be overridden. */
export const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must match [A-Za-z_][A-Za-z0-9_]*')
  .refine((n) => !RESERVED_ENV.has(n), 'is reserved by the sandbox');

export const RESERVED_ENV = new Set([
  'PATH',
  'HOME',
  'USER',
  'HOSTNAME',
  'PWD',
  'LANG',
  'TMPDIR',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
]);

/** A command: a string runs under /bin/sh -c inside the sandbox, an array is an argv. */
export const Command = z.union([
  Text.pipe(z.string().min(1, 'must not be empty').max(4096)),
  z
    .array(Text.pipe(z.string().max(4096)))
    .min(1, 'must not be empty')
    .max(64),
]);
export type Command = z.infer<typeof Command>;

export function commandToArgv(command: Command): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}
