/** Workflows and activities that need no Docker engine. */
export const ORCHESTRATION_QUEUE = 'airlock-orchestration';

/** Shared by every host worker: `provision` lands on whichever host polls first. */
export const HOSTS_QUEUE = 'airlock-hosts';

/** Each host worker's own queue; container activities after `provision` are pinned here. */
export function hostQueue(hostId: string): string {
  return `airlock-host-${hostId}`;
}

/** Template builds, one at a time on each host that polls it. */
export const TEMPLATE_BUILDS_QUEUE = 'airlock-template-builds';
