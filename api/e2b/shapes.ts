/** Airlock's sandboxes and runtimes in the shapes E2B's SDKs parse. */
import { TemplateId } from '../../lib/schemas/common';
import type { SandboxInfo } from '../../lib/schemas/sandbox';
import type { RuntimeCatalog } from '../../lib/node/runtimes';
import type { LoadedPolicy } from '../../lib/node/policies';
import { resolveLimits } from '../../lib/node/execution-plan';
import { tmpfsSizes } from '../../lib/containers';
import { HttpError } from '../errors';
import type { TemplateService } from '../template-service';

/**
 * The envd version reported: the SDKs gate features on it. 0.5.2 has closeStdin and explicit stdin;
 * below 0.5.7 uploads are multipart only, and below 0.6.x the SDKs refuse file metadata and the
 * newer watch flags themselves, which Airlock does not serve.
 */
export const ENVD_VERSION = '0.5.2';
/** E2B's own template names, which mean "a general sandbox" here. */
const DEFAULT_TEMPLATES = new Set(['', 'base', 'code-interpreter-v1', 'code-interpreter']);
export const DEFAULT_LANGUAGE = 'python';
/** Not a real client: the field is deprecated, but Python's parser requires it. */
const CLIENT_ID = 'airlock';

export interface E2bShapeDeps {
  runtimes: RuntimeCatalog;
  policies: Map<string, LoadedPolicy>;
  templates: TemplateService;
}

export interface SandboxTarget {
  language: string;
  version?: string;
  template?: string;
}

/**
 * An E2B `templateID` as an Airlock sandbox: `base` (E2B's default) is Python; a language
 * (`python`, `javascript`), a language and version (`python-3.12`), or one of the tenant's templates
 * (`tpl-…`).
 */
export async function templateToRequest(
  deps: E2bShapeDeps,
  templateID: string,
  tenant: string,
): Promise<SandboxTarget> {
  const id = templateID.trim();
  if (DEFAULT_TEMPLATES.has(id)) return { language: DEFAULT_LANGUAGE };
  if (TemplateId.safeParse(id).success) {
    const info = await deps.templates.get(id, tenant);
    if (!info || info.status === 'deleted') throw HttpError.invalid('templateID', `no template "${id}"`);
    return { language: info.runtime.language, template: id };
  }
  const match = /^([a-z][a-z0-9+]*)(?:[-:@](.+))?$/.exec(id);
  if (match && deps.runtimes.versions(match[1]!).length > 0) {
    return { language: match[1]!, ...(match[2] !== undefined ? { version: match[2] } : {}) };
  }
  throw HttpError.invalid(
    'templateID',
    `unknown template "${id}"; use base, a language (${deps.runtimes.languages().join(', ')}), ` +
      'a language and version such as python-3.12, or a template id from POST /v1/templates',
  );
}

/** What the sandbox runs, named as a `templateID`. */
function templateIdOf(info: SandboxInfo): string {
  return info.image?.template?.id ?? info.language;
}

/** E2B's end time: the idle deadline, unless the lifetime ends first. */
function endAt(info: SandboxInfo): string {
  const idle = info.idleExpiresAt ? Date.parse(info.idleExpiresAt) : Infinity;
  return new Date(Math.min(idle, Date.parse(info.expiresAt))).toISOString();
}

/** `Sandbox`: what create and connect answer. The access token is the caller's own key. */
export function sandboxShape(info: SandboxInfo, accessToken: string) {
  return {
    templateID: templateIdOf(info),
    sandboxID: info.id,
    clientID: CLIENT_ID,
    envdVersion: ENVD_VERSION,
    envdAccessToken: accessToken,
    domain: null,
  };
}

/** `SandboxDetail` and `ListedSandbox`: the limits are the sandbox's policy's, for its runtime. */
export function sandboxDetail(deps: E2bShapeDeps, info: SandboxInfo) {
  const policy = deps.policies.get(info.policy)?.policy;
  const runtime = deps.runtimes.get(info.language, info.image?.runtimeVersion);
  const limits = policy ? resolveLimits({ limits: {} }, policy, runtime?.manifest) : undefined;
  const memoryMB = limits?.memoryMb ?? 0;
  return {
    templateID: templateIdOf(info),
    sandboxID: info.id,
    clientID: CLIENT_ID,
    startedAt: info.createdAt,
    endAt: endAt(info),
    cpuCount: Math.max(1, Math.ceil(limits?.cpus ?? 1)),
    memoryMB,
    diskSizeMB: tmpfsSizes(memoryMB).workspaceMb,
    state: 'running' as const,
    envdVersion: ENVD_VERSION,
    metadata: info.metadata ?? {},
  };
}
