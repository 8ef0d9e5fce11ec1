import fs from 'node:fs';
import path from 'node:path';
import { Policy, type PolicyRef } from './schemas/policy';
import { DefinitionError, loadYamlFile } from './yaml-file';
import { POLICIES_DIR } from './paths';

export interface LoadedPolicy {
  policy: Policy;
  ref: PolicyRef;
}

export const DEFAULT_POLICY = 'default';

/** Every policy under `dir`, keyed by name. Throws on the first invalid file: a bad policy must stop start-up. */
export function loadPolicies(dir = POLICIES_DIR): Map<string, LoadedPolicy> {
  const policies = new Map<string, LoadedPolicy>();
  for (const entry of fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = path.join(dir, entry);
    const { value, sha256 } = loadYamlFile(file, Policy);
    if (`${value.name}` !== path.basename(entry).replace(/\.ya?ml$/, '')) {
      throw new DefinitionError(file, 'name', `must match the file name ("${value.name}")`);
    }
    if (value.limits.defaults.timeoutMs > value.limits.ceilings.timeoutMs) {
      throw new DefinitionError(file, 'limits.defaults.timeoutMs', 'must not exceed limits.ceilings.timeoutMs');
    }
    if (value.limits.defaults.memoryMb > value.limits.ceilings.memoryMb) {
      throw new DefinitionError(file, 'limits.defaults.memoryMb', 'must not exceed limits.ceilings.memoryMb');
    }
    policies.set(value.name, { policy: value, ref: { name: value.name, sha256 } });
  }
  if (!policies.has(DEFAULT_POLICY)) throw new DefinitionError(dir, '', `no "${DEFAULT_POLICY}" policy`);
  return policies;
}
