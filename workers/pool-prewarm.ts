import { ExecutionRequest } from '../lib/schemas/execution-request';
import { planUnderPolicy } from '../lib/node/execution-plan';
import { containerNeeds } from '../lib/container-needs';
import { normalizeRequest } from '../lib/node/normalize-request';
import { DEFAULT_POLICY, type LoadedPolicy } from '../lib/node/policies';
import type { RuntimeDefinition } from '../lib/node/runtimes';
import type { ProfileInput } from '../activities/host';

/**
 * The container profile a plain request (code only, default policy) gets for each runtime: the
 * gate's own computation on a stand-in request, so a prewarmed pool matches what real requests
 * ask for. Requests with other limits, tests or a compile stage get pools of their own on demand.
 */
export function prewarmProfiles(
  languages: string[],
  policies: Map<string, LoadedPolicy>,
  runtimes: Map<string, RuntimeDefinition>,
): { profiles: ProfileInput[]; unknown: string[] } {
  const loaded = policies.get(DEFAULT_POLICY);
  const profiles: ProfileInput[] = [];
  const unknown: string[] = [];
  for (const language of languages) {
    const runtime = runtimes.get(language);
    if (!runtime || !loaded) {
      unknown.push(language);
      continue;
    }
    const request = ExecutionRequest.parse({ language, code: '' });
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
