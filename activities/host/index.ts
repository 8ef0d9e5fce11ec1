import { createProvisionActivity } from './provision';
import { createStageActivities } from './stage-activities';
import { createTeardownActivity } from './teardown';
import { createSandboxFileActivities } from './sandbox-files';
import { createStaticAnalysisActivity } from './static-analysis/activity';
import type { HostActivityDeps } from './types';

export type * from './types';
export type { StaticAnalysisInput } from './static-analysis/activity';
export type { ArtifactScan } from './artifacts';
export type { ReadFile, WrittenFile } from './sandbox-files';

/** Activities that drive the local Docker engine. `provisionContainer` runs on the shared hosts queue, the rest on the host's own. */
export function createHostActivities(deps: HostActivityDeps) {
  return {
    ...createProvisionActivity(deps),
    ...createStaticAnalysisActivity(deps),
    ...createStageActivities(deps),
    ...createTeardownActivity(deps),
    ...createSandboxFileActivities(deps),
  };
}

export type HostActivities = ReturnType<typeof createHostActivities>;
