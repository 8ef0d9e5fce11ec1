import fs from 'node:fs';
import path from 'node:path';
import { Policy, type PolicyRef } from '../schemas/policy';
import { REQUESTABLE_LIMITS } from '../schemas/limits';
import { DefinitionError, loadYamlFile } from './yaml-file';
import { POLICIES_DIR } from './paths';
import { loadSeccompProfiles, type LoadedSeccompProfile } from './seccomp';

export interface LoadedPolicy {
  policy: Policy;
  ref: PolicyRef;
  seccomp: LoadedSeccompProfile;
}

export const DEFAULT_POLICY = 'default';

/** Every policy under `dir`, keyed by name. Throws on the first invalid file: a bad policy must stop start-up. */
export function loadPolicies(dir = POLICIES_DIR): Map<string, LoadedPolicy> {
  const policies = new Map<string, LoadedPolicy>();
  const profiles = loadSeccompProfiles(path.join(dir, 'seccomp'));
  for (const entry of fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = path.join(dir, entry);
    const { value, sha256 } = loadYamlFile(file, Policy);
    if (`${value.name}` !== path.basename(entry).replace(/\.ya?ml$/, '')) {
      throw new DefinitionError(file, 'name', `must match the file name ("${value.name}")`);
    }
    for (const key of REQUESTABLE_LIMITS) {
      if (value.limits.defaults[key] > value.limits.ceilings[key]) {
        throw new DefinitionError(file, `limits.defaults.${key}`, `must not exceed limits.ceilings.${key}`);
      }
    }
    const seccomp = profiles.get(value.sandbox.seccompProfile);
    if (!seccomp) {
      throw new DefinitionError(
        file,
        'sandbox.seccompProfile',
        `no profile seccomp/${value.sandbox.seccompProfile}.json`,
      );
    }
    policies.set(value.name, { policy: value, ref: { name: value.name, sha256 }, seccomp });
  }
  if (!policies.has(DEFAULT_POLICY)) throw new DefinitionError(dir, '', `no "${DEFAULT_POLICY}" policy`);
  return policies;
}
