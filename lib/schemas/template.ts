import { z } from 'zod';
import { Encoding, EnvName, TemplateId, Text } from './common';
import { LanguageName } from './execution-request';
import { RuntimeVersionName } from './runtime';
import { base64Bytes } from '../rules';

const UTF8 = new TextEncoder();

export const MAX_TEMPLATE_PACKAGES = 64;
export const MAX_TEMPLATE_FILES = 64;
export const MAX_TEMPLATE_FILE_BYTES = 1_048_576;
/** All of a spec's files together: the spec travels in the template workflow's history. */
export const MAX_TEMPLATE_FILES_TOTAL_BYTES = 1_048_576;
export const MAX_SETUP_CHARS = 16_384;

/** A Debian package name, optionally pinned: `graphviz` or `graphviz=2.42.2-7+b3`. */
export const DebianPackage = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9+.-]{1,99}(?:=[A-Za-z0-9.+~:-]{1,100})?$/,
    'must be a Debian package name, optionally "=version" (such as "graphviz")',
  );

/** A PyPI requirement pinned to one release: `tabulate==0.9.0`. */
export const PipPin = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}==[A-Za-z0-9.+!_-]{1,60}$/,
    'must pin one release, as "name==version" (such as "tabulate==0.9.0")',
  );

/** Where a template file may go: an absolute path under /opt, /usr/local or /etc, without `.` or `..` parts. */
export const TemplateFilePath = z
  .string()
  .max(512)
  .refine(
    (p) =>
      /^\/(?:opt|usr\/local|etc)\/[^\0]+$/.test(p) && !p.split('/').some((part, i) => i > 0 && /^\.{0,2}$/.test(part)),
    'must be an absolute path under /opt, /usr/local or /etc, with no empty, "." or ".." parts',
  );

export const TemplateFile = z.strictObject({
  path: TemplateFilePath,
  content: Text,
  encoding: Encoding.default('utf8'),
  executable: z.boolean().default(false),
});

/** The body of `POST /v1/templates`: what the image adds to a runtime. */
export const TemplateSpec = z
  .strictObject({
    /** What people call it; the id comes from the spec's content. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
    runtime: z.strictObject({
      language: LanguageName,
      /** One of the language's versions in `GET /v1/runtimes`; default its newest. */
      version: RuntimeVersionName.optional(),
    }),
    /** Debian packages of the runtime's suite, fetched at build time only. */
    debian: z.array(DebianPackage).max(MAX_TEMPLATE_PACKAGES).default([]),
    /** PyPI wheels, each pinned; no dependency is fetched that is not listed (like a lockfile). */
    pip: z.array(PipPin).max(MAX_TEMPLATE_PACKAGES).default([]),
    files: z.array(TemplateFile).max(MAX_TEMPLATE_FILES).default([]),
    /** Set for every execution and sandbox made from the template; a request's own env wins. */
    env: z
      .record(EnvName, Text.pipe(z.string().max(32_768)))
      .refine((e) => Object.keys(e).length <= 64, 'must have at most 64 variables')
      .default({}),
    /** Run by /bin/sh as root at build time, after the packages and files, with no network. */
    setup: Text.pipe(z.string().min(1).max(MAX_SETUP_CHARS)).optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    let total = 0;
    spec.files.forEach((f, i) => {
      const bytes = f.encoding === 'base64' ? base64Bytes(f.content) : UTF8.encode(f.content).length;
      total += bytes;
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `duplicate path` });
      seen.add(f.path);
      if (bytes > MAX_TEMPLATE_FILE_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'content'],
          message: `is over ${MAX_TEMPLATE_FILE_BYTES} bytes`,
        });
      }
    });
    if (total > MAX_TEMPLATE_FILES_TOTAL_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['files'],
        message: `come to ${total} bytes, over ${MAX_TEMPLATE_FILES_TOTAL_BYTES}`,
      });
    }
    const names = spec.pip.map((p) =>
      p
        .split('==')[0]!
        .toLowerCase()
        .replace(/[._-]+/g, '-'),
    );
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['pip', i], message: `"${n}" is pinned twice` });
    });
  });
export type TemplateSpec = z.input<typeof TemplateSpec>;
export type ParsedTemplateSpec = z.output<typeof TemplateSpec>;

export const TemplateStatus = z.enum(['building', 'ready', 'failed', 'deleted']);
export type TemplateStatus = z.infer<typeof TemplateStatus>;

export { TemplateId };

/** What an execution or sandbox made from a template runs: resolved by the API, recorded in history. */
export interface TemplateRef {
  id: string;
  /** sha256 of the spec as built (its runtime version resolved): what the audit record names. */
  sha256: string;
  image: string;
  env: Record<string, string>;
}

/** One template as `GET /v1/templates/:id` answers. */
export const TemplateInfo = z.object({
  id: z.string(),
  name: z.string(),
  tenant: z.string(),
  status: TemplateStatus,
  sha256: z.string(),
  /** The spec as parsed, its defaults filled in. */
  spec: TemplateSpec,
  /** The runtime it adds to. */
  runtime: z.object({ language: z.string(), version: z.string(), image: z.string() }),
  /** Its own image, once built. */
  image: z.string().nullable(),
  /** What the template adds to the runtime's image, in bytes. */
  sizeBytes: z.number().int().nullable(),
  /** The versions the build installed, and each wheel's sha256. */
  installed: z
    .object({
      debian: z.array(z.string()),
      pip: z.array(z.object({ name: z.string(), version: z.string(), sha256: z.string() })),
    })
    .nullable(),
  /** The whole build log, in the template log store. */
  log: z.object({ sha256: z.string(), bytes: z.number().int() }).nullable(),
  /** The last lines of the log when the build failed. */
  logTail: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type TemplateInfo = z.infer<typeof TemplateInfo>;
