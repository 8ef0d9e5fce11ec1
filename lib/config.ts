/** Process configuration, from the environment. Every setting has a default for the embedded single-machine setup. */
export interface AirlockConfig {
  temporalAddress: string;
  namespace: string;
  /** Containers are labelled with it; a reaper only touches its own cluster's containers. */
  cluster: string;
  /** Stable id of this Docker host; defaults to the engine's name. */
  hostId: string | undefined;
  apiHost: string;
  apiPort: number;
  /** The longest `?wait=true` holds a request open. */
  waitLimitMs: number;
  reaperIntervalMs: number;
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AirlockConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    cluster: env.AIRLOCK_CLUSTER ?? 'default',
    hostId: env.AIRLOCK_HOST_ID || undefined,
    apiHost: env.AIRLOCK_API_HOST ?? '127.0.0.1',
    apiPort: intFrom(env, 'AIRLOCK_API_PORT', 8080),
    waitLimitMs: intFrom(env, 'AIRLOCK_WAIT_LIMIT_MS', 60_000),
    reaperIntervalMs: intFrom(env, 'AIRLOCK_REAPER_INTERVAL_MS', 30_000),
    logLevel: env.AIRLOCK_LOG_LEVEL ?? 'info',
  };
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}
