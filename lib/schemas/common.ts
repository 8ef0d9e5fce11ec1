import { z } from 'zod';

/** A path inside the sandbox workspace: relative, no `..`, no NUL, no backslashes. */
export const RelativePath = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine((p) => !p.startsWith('/'), 'must be relative')
  .refine((p) => !p.includes('\\'), 'must use forward slashes')
  .refine(
    (p) => p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'must not contain empty, . or .. segments',
  );

export const Encoding = z.enum(['utf8', 'base64']);

export const SourceFile = z.strictObject({
  path: RelativePath,
  content: z.string(),
  encoding: Encoding.default('utf8'),
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
  z.string().min(1, 'must not be empty').max(4096),
  z.array(z.string().max(4096)).min(1, 'must not be empty').max(64),
]);
export type Command = z.infer<typeof Command>;

export function commandToArgv(command: Command): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}
