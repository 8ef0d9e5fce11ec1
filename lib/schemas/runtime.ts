import { z } from 'zod';

/**
 * Placeholders a manifest's commands may use, filled in per execution:
 * `{entrypoint}` (path), `{entrypointDir}`, `{entrypointStem}` (path without extension),
 * `{entrypointClass}` (stem with `/` as `.`, for Java), `{testEntrypoint}` (the entrypoint, or the
 * first test file when there is none). Shell commands take them as positional arguments, never
 * spliced into the script.
 */
export const PLACEHOLDERS = [
  'entrypoint',
  'entrypointDir',
  'entrypointStem',
  'entrypointClass',
  'testEntrypoint',
] as const;

const Argv = z.array(z.string()).min(1);

/** Formats a test runner can leave its results in; each has a parser in activities/host/test-reports. */
export const ReportFormat = z.enum(['junit', 'tap', 'go-json', 'libtest', 'minitest']);
export type ReportFormat = z.infer<typeof ReportFormat>;

/** How an image is built from Debian packages: shared by runtime images and tool images. */
export const ImageBuild = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9+_-]{0,31}$/),
  displayName: z.string(),
  /** Major.minor the image must carry; the build fails if the installed runtime differs. */
  version: z.string(),
  debian: z.strictObject({
    suite: z.string().default('bookworm'),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/)).min(1),
  }),
  /**
   * Files from the definition folder to put in the image: image path to file name. Only under
   * /usr/local and /opt, which no Debian package ships files in, so none can collide with them.
   */
  files: z
    .record(z.string(), z.string().regex(/^[A-Za-z0-9_.-]+$/))
    .superRefine((files, ctx) => {
      for (const target of Object.keys(files)) {
        if (!/^\/(?:usr\/local|opt)\/[A-Za-z0-9_./-]+$/.test(target) || target.split('/').includes('..')) {
          ctx.addIssue({ code: 'custom', path: [target], message: 'must be under /usr/local/ or /opt/' });
        }
      }
    })
    .default({}),
  /** Octal modes for those files (default 0644). */
  modes: z.record(z.string(), z.string().regex(/^0[0-7]{3}$/)).default({}),
  /**
   * npm packages installed from a lockfile in the definition folder (`npm/package.json` and
   * `npm/package-lock.json`) into this private prefix, by the build machine's npm. Nothing lands in
   * the paths Debian's packages own, so no package's links can collide with them.
   */
  npm: z
    .strictObject({
      prefix: z.string().regex(/^\/opt\/[A-Za-z0-9_./-]+$/),
      /**
       * `/node_modules`: a link there to the prefix's node_modules, the folder Node looks in last
       * from any path, so `require` and `import` alike find the packages from the workspace.
       */
      linkAt: z.literal('/node_modules').optional(),
    })
    .optional(),
  /**
   * PyPI packages from a hash-pinned requirements file in the definition folder
   * (`pip/requirements.txt`), installed as binary wheels only, without their dependencies (Debian's
   * packages are those), by a pinned pip run from its wheel: the image gets no pip.
   */
  pip: z.strictObject({ requirements: z.string().regex(/^[A-Za-z0-9_./-]+$/) }).optional(),
  /**
   * Commands run as root in the root after its packages, files and wheels, before it is hardened:
   * caches and indexes the image ships, made once here rather than in every sandbox.
   */
  setup: z.array(Argv).default([]),
  /**
   * Commands run in the built root that must succeed: the paths and tools the image's own commands
   * rely on. A renamed or dropped Debian file fails the build here, naming the check.
   */
  checks: z.array(Argv).default([]),
  /** Prints the runtime's version; run inside the built root. */
  versionCommand: Argv,
  /** Picks the version out of the command's output (first capture group); the whole output otherwise. */
  versionPattern: z.string().optional(),
  /**
   * Prints `name==version`, a line for each library name it is given: how the build checks the
   * libraries a version declares.
   */
  librariesCommand: Argv.optional(),
});
export type ImageBuild = z.infer<typeof ImageBuild>;

/** A tool image (the static-analysis scanner): built like a runtime, never given user code to run. */
export const ToolImage = ImageBuild;
export type ToolImage = ImageBuild;

/** An image definition under images/: how to build it and how to run code in it. Data, not code. */
export const RuntimeManifest = ImageBuild.extend({
  /** File name used when a request sends `code` rather than `files`. */
  sourceFile: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  extensions: z.array(z.string().regex(/^\.[a-z0-9]+$/)).min(1),
  /** Compiled languages: the compile stage, with its own limits. */
  compile: z
    .strictObject({
      command: Argv,
      timeoutMs: z.number().int().positive(),
      memoryMb: z.number().int().positive(),
    })
    .optional(),
  /** argv of the run stage; the request's args are appended. */
  run: Argv,
  /** The test stage's default command and where its runner leaves structured results. */
  test: z.strictObject({
    command: Argv,
    /** The runner uses what the compile stage built, so that stage runs even when there is only tests. */
    needsCompile: z.boolean().default(false),
    report: z.strictObject({
      format: ReportFormat,
      /** A file in the sandbox; without it the runner's stdout is parsed. */
      path: z
        .string()
        .regex(/^\/[A-Za-z0-9_./-]+$/)
        .optional(),
    }),
  }),
  /** Defaults above the policy's (still capped by its ceilings), e.g. more memory for a JVM. */
  limits: z
    .strictObject({
      timeoutMs: z.number().int().positive().optional(),
      cpuTimeMs: z.number().int().positive().optional(),
      memoryMb: z.number().int().positive().optional(),
      pids: z.number().int().positive().optional(),
    })
    .default({}),
  env: z.record(z.string(), z.string()).default({}),
  /** Set per version (RuntimeVersionEntry). */
  libraries: z.record(z.string(), z.string()).default({}),
});
export type RuntimeManifest = z.infer<typeof RuntimeManifest>;

/** A runtime version as requests name it: the major (and minor) the image carries, e.g. "3.13" or "21". */
export const RuntimeVersionName = z.string().regex(/^[0-9]+(?:\.[0-9]+){0,2}$/, 'must be a version such as "3.13"');

/** One version of a runtime: its own Debian suite and packages, and what it adds to the shared checks and env. */
const RuntimeVersionEntry = z.strictObject({
  version: RuntimeVersionName,
  debian: ImageBuild.shape.debian,
  checks: z.array(Argv).default([]),
  env: z.record(z.string(), z.string()).default({}),
  /**
   * The libraries this version carries, by package name, with the version each must start with:
   * what `GET /v1/runtimes` lists, checked against the built image by `librariesCommand`.
   */
  libraries: z.record(z.string().regex(/^[A-Za-z0-9_.@/-]+$/), z.string()).default({}),
  /** Files of this version only, such as a module under its Python's own dist-packages. */
  files: ImageBuild.shape.files,
  modes: ImageBuild.shape.modes,
});

/**
 * A runtime.yaml: what every version shares (how code is compiled, run and tested), and the
 * versions, each an image of its own built from its suite's packages.
 */
export const RuntimeFile = RuntimeManifest.omit({ version: true, debian: true, libraries: true })
  .extend({ versions: z.array(RuntimeVersionEntry).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.versions.forEach((v, i) => {
      if (seen.has(v.version))
        ctx.addIssue({ code: 'custom', path: ['versions', i, 'version'], message: 'is a duplicate' });
      seen.add(v.version);
    });
  });
export type RuntimeFile = z.infer<typeof RuntimeFile>;

/** One version of a runtime in `GET /v1/runtimes`. */
export const RuntimeVersionSummary = z.object({
  version: z.string(),
  /** The version a request that names none gets: the newest. */
  default: z.boolean(),
  /** The image its sandboxes run; results name the exact build (`image.id`, `image.runtimeVersion`). */
  image: z.string(),
  /** The Debian suite its packages come from. */
  debian: z.string(),
  /** The libraries it carries beyond the language's own, by package name, with their versions. */
  libraries: z.record(z.string(), z.string()),
});
export type RuntimeVersionSummary = z.infer<typeof RuntimeVersionSummary>;

/** What `GET /v1/runtimes` lists: one entry per language, `version` being its default. */
export const RuntimeSummary = z.object({
  name: z.string(),
  displayName: z.string(),
  version: z.string(),
  versions: z.array(RuntimeVersionSummary),
  extensions: z.array(z.string()),
  compiled: z.boolean(),
  testFramework: ReportFormat,
});
export type RuntimeSummary = z.infer<typeof RuntimeSummary>;
