import type { Artifact } from './schemas/execution-result';

/** Why a blocked run's artifacts carry no content. */
export const BLOCKED_RUN = 'the output gate blocked this run';

/**
 * A blocked run returns nothing it wrote: every artifact keeps its name, type and digest, and loses
 * its content. The host applies it to what its own scan blocked, the workflow to a run blocked by any stage.
 */
export function withholdAll(artifacts: Artifact[], reason = BLOCKED_RUN): Artifact[] {
  return artifacts.map((a) => (a.withheld ? a : { ...a, data: null, withheld: reason }));
}
