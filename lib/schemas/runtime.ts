import { z } from 'zod';

/** An image definition under images/: how to build it and how to run code in it. Data, not code. */
export const RuntimeManifest = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9+_-]{0,31}$/),
  displayName: z.string(),
  /** Major.minor the image must carry; the build fails if the installed runtime differs. */
  version: z.string(),
  debian: z.strictObject({
    suite: z.string().default('bookworm'),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/)).min(1),
  }),
  /** Prints the runtime's exact version; run inside the built root. */
  versionCommand: z.array(z.string()).min(1),
  /** File name used when a request sends `code` rather than `files`. */
  sourceFile: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  extensions: z.array(z.string().regex(/^\.[a-z0-9]+$/)).min(1),
  /** argv of the run stage; `{entrypoint}` is replaced by the entrypoint's path. */
  run: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()).default({}),
});
export type RuntimeManifest = z.infer<typeof RuntimeManifest>;

/** What `GET /v1/runtimes` lists. */
export interface RuntimeSummary {
  name: string;
  displayName: string;
  version: string;
  extensions: string[];
  compiled: boolean;
}
