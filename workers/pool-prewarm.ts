import { ExecutionRequest } from '../lib/schemas/execution-request';
import { planUnderPolicy } from '../lib/node/execution-plan';
import { containerNeeds } from '../lib/container-needs';
import { normalizeRequest } from '../lib/node/normalize-request';
import { DEFAULT_POLICY, type LoadedPolicy } from '../lib/node/policies';
import type { RuntimeCatalog } from '../lib/node/runtimes';
import type { ProfileInput } from '../activities/host';

/**
 * The container profile a plain request (code only, default policy) gets for each runtime: the
 * gate's own computation on a stand-in request, so a prewarmed pool matches what real requests
 * ask for. Requests with other limits, tests or a compile stage get pools of their own on demand.
 * An entry is a language (its newest version) or `language@version`.
 */
export function prewarmProfiles(
  languages: string[],
  policies: Map<string, LoadedPolicy>,
  runtimes: RuntimeCatalog,
): { profiles: ProfileInput[]; unknown: string[] } {
  const loaded = policies.get(DEFAULT_POLICY);
  const profiles: ProfileInput[] = [];
  const unknown: string[] = [];
  for (const entry of languages) {
    const [language = '', version] = entry.split('@');
    const runtime = runtimes.get(language, version);
    if (!runtime || !loaded) {
      unknown.push(entry);
      continue;
    }
    const request = ExecutionRequest.parse({ language, version: runtime.manifest.version, code: '' });
    const input = normalizeRequest(request, { tenant: 'prewarm', keyId: 'prewarm', runtime: runtime.manifest });
    const plan = planUnderPolicy({ input, loaded, runtime: runtime.manifest });
    profiles.push({
      image: plan.runtime.image,
      limits: plan.limits,
      container: containerNeeds(plan),
      sandbox: plan.sandbox,
    });
  }
  return { profiles, unknown };
}
