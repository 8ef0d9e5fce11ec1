import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { z } from 'zod';
import { DefinitionError } from './yaml-file';
import { POLICIES_DIR } from './paths';

const Action = z.enum([
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRAP',
]);

/** The subset of Docker's seccomp profile format Airlock's profiles use. */
export const SeccompProfile = z.strictObject({
  defaultAction: Action,
  defaultErrnoRet: z.number().int().optional(),
  archMap: z.array(z.strictObject({ architecture: z.string(), subArchitectures: z.array(z.string()) })).min(1),
  syscalls: z
    .array(
      z.strictObject({
        names: z.array(z.string().regex(/^[a-z0-9_]+$/)).min(1),
        action: Action,
        errnoRet: z.number().int().optional(),
        args: z
          .array(
            z.strictObject({
              index: z.number().int().min(0).max(5),
              value: z.number().int().min(0),
              valueTwo: z.number().int().min(0).optional(),
              op: z.enum([
                'SCMP_CMP_EQ',
                'SCMP_CMP_NE',
                'SCMP_CMP_MASKED_EQ',
                'SCMP_CMP_LT',
                'SCMP_CMP_LE',
                'SCMP_CMP_GT',
                'SCMP_CMP_GE',
              ]),
            }),
          )
          .optional(),
      }),
    )
    .min(1),
});
export type SeccompProfile = z.infer<typeof SeccompProfile>;

export interface LoadedSeccompProfile {
  name: string;
  /** Minified JSON, as handed to the engine in `SecurityOpt: seccomp=<json>`. */
  json: string;
  sha256: string;
}

export const SECCOMP_DIR = path.join(POLICIES_DIR, 'seccomp');

/** Every profile under policies/seccomp/, validated. The hash is of the file, so the gate and the host agree on it. */
export function loadSeccompProfiles(dir = SECCOMP_DIR): Map<string, LoadedSeccompProfile> {
  const profiles = new Map<string, LoadedSeccompProfile>();
  for (const entry of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const file = path.join(dir, entry);
    const raw = fs.readFileSync(file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new DefinitionError(file, '', `not valid JSON: ${(err as Error).message}`);
    }
    const profile = SeccompProfile.safeParse(parsed);
    if (!profile.success) {
      const issue = profile.error.issues[0]!;
      throw new DefinitionError(file, issue.path.join('.'), issue.message);
    }
    if (profile.data.defaultAction === 'SCMP_ACT_ALLOW') {
      throw new DefinitionError(
        file,
        'defaultAction',
        'must deny: an allow-by-default profile is not a sandbox profile',
      );
    }
    const name = entry.replace(/\.json$/, '');
    profiles.set(name, {
      name,
      json: JSON.stringify(profile.data),
      sha256: crypto.createHash('sha256').update(raw).digest('hex'),
    });
  }
  return profiles;
}
