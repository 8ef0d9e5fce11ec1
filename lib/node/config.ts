import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { STATE_DIR } from './paths';
import type { TemporalTarget } from './temporal';

/** Process configuration, from the environment. Every setting has a default for the embedded single-machine setup. */
export interface AirlockConfig {
  temporalAddress: string;
  /** How to reach Temporal: its address and, for a production cluster, TLS, mTLS and an API key. */
  temporal: TemporalTarget;
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
  /** What this host gives sandboxes, when not the whole machine (a pod's engine limits). */
  hostResources: { cpus: number | undefined; memoryMb: number | undefined };
  /** How many times over a host may promise its CPUs (time-shared); memory is never promised twice. */
  cpuOvercommit: number;
  /** On SIGTERM a host worker waits this long for its sandboxes to finish before it stops. */
  drainTimeoutMs: number;
  /** Host workers read the images' files at start, so sandboxes do not pay for them (see activities/containers/page-cache-warmer.ts). */
  warmPageCache: boolean;
  logLevel: string;
  /** Where workers and the API serve `GET /metrics` (port 0: any free port), apart from the API's own port. */
  metricsHost: string;
  workerMetricsPort: number;
  apiMetricsPort: number;
  /** Warm pools on a host worker: bounds, and the runtimes kept warm (default policy) from the start. */
  pool: {
    minIdle: number;
    /** 0 turns pooling off: every container is made on demand. */
    maxIdle: number | undefined;
    maxTotalIdle: number | undefined;
    idleTtlMs: number;
    refillConcurrency: number | undefined;
    prewarm: string[];
  };
  /** Steps one sandbox workflow run takes before it continues as new (Temporal may suggest it sooner). */
  sandboxStepsPerRun: number;
  /**
   * Stage outputs longer than the preview, stored by reference (lib/node/output-store.ts): the directory
   * the hosts write and the API reads (one volume shared by all of them when they are apart), and
   * the preview a result keeps inline (0: every output stays whole in the result, nothing is stored).
   */
  outputs: { dir: string; previewBytes: number };
  /**
   * Where a host worker puts the supervisor binary that its sandboxes mount read-only: a path its
   * Docker engine sees at the same place (a volume both mount, when the engine runs apart).
   */
  supervisorDir: string;
  /**
   * Template builds: the log store the hosts write and the API reads (shared like outputs), each
   * host's scratch folder, and the limits on one build's time, added size and memory.
   */
  templates: { logDir: string; buildDir: string; timeoutMs: number; maxBytes: number; memoryMb: number };
  /** Browser origins that may call the API's codec endpoint: the Temporal UI's (the dev server's by default). */
  codecCorsOrigins: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AirlockConfig {
  const temporal = temporalTarget(env);
  return {
    temporalAddress: temporal.target.address,
    temporal: temporal.target,
    namespace: temporal.namespace,
    cluster: env.AIRLOCK_CLUSTER ?? 'default',
    hostId: env.AIRLOCK_HOST_ID || undefined,
    apiHost: env.AIRLOCK_API_HOST ?? '127.0.0.1',
    apiPort: intFrom(env, 'AIRLOCK_API_PORT', 8080),
    waitLimitMs: intFrom(env, 'AIRLOCK_WAIT_LIMIT_MS', 60_000),
    reaperIntervalMs: intFrom(env, 'AIRLOCK_REAPER_INTERVAL_MS', 30_000),
    drainTimeoutMs: intFrom(env, 'AIRLOCK_DRAIN_TIMEOUT_MS', 300_000),
    hostResources: {
      cpus: optionalIntFrom(env, 'AIRLOCK_HOST_CPUS'),
      memoryMb: optionalIntFrom(env, 'AIRLOCK_HOST_MEMORY_MB'),
    },
    cpuOvercommit: intFrom(env, 'AIRLOCK_HOST_CPU_OVERCOMMIT', 8),
    warmPageCache: boolFrom(env, 'AIRLOCK_WARM_PAGE_CACHE', true),
    logLevel: env.AIRLOCK_LOG_LEVEL ?? 'info',
    sandboxStepsPerRun: intFrom(env, 'AIRLOCK_SANDBOX_STEPS_PER_RUN', 500),
    pool: {
      minIdle: intFrom(env, 'AIRLOCK_POOL_MIN_IDLE', 1),
      maxIdle: optionalIntFrom(env, 'AIRLOCK_POOL_MAX_IDLE'),
      maxTotalIdle: optionalIntFrom(env, 'AIRLOCK_POOL_MAX_TOTAL_IDLE'),
      idleTtlMs: intFrom(env, 'AIRLOCK_POOL_IDLE_TTL_MS', 300_000),
      refillConcurrency: optionalIntFrom(env, 'AIRLOCK_POOL_REFILL_CONCURRENCY'),
      prewarm: (env.AIRLOCK_POOL_PREWARM ?? 'python,javascript')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    },
    metricsHost: env.AIRLOCK_METRICS_HOST ?? '127.0.0.1',
    workerMetricsPort: intFrom(env, 'AIRLOCK_WORKER_METRICS_PORT', 9464),
    apiMetricsPort: intFrom(env, 'AIRLOCK_API_METRICS_PORT', 9465),
    outputs: {
      dir: env.AIRLOCK_OUTPUT_DIR || path.join(STATE_DIR, 'outputs'),
      previewBytes: intFrom(env, 'AIRLOCK_OUTPUT_PREVIEW_BYTES', 16 * 1024),
    },
    supervisorDir: env.AIRLOCK_SUPERVISOR_DIR || path.join(STATE_DIR, 'supervisor'),
    templates: {
      logDir: env.AIRLOCK_TEMPLATE_LOG_DIR || path.join(STATE_DIR, 'template-logs'),
      buildDir: env.AIRLOCK_TEMPLATE_BUILD_DIR || path.join(STATE_DIR, 'template-builds'),
      timeoutMs: intFrom(env, 'AIRLOCK_TEMPLATE_BUILD_TIMEOUT_MS', 15 * 60_000),
      maxBytes: intFrom(env, 'AIRLOCK_TEMPLATE_MAX_BYTES', 2 * 1024 ** 3),
      memoryMb: intFrom(env, 'AIRLOCK_TEMPLATE_BUILD_MEMORY_MB', 2048),
    },
    codecCorsOrigins: (env.AIRLOCK_CODEC_CORS_ORIGINS ?? 'http://localhost:8233,http://127.0.0.1:8233')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  };
}

/**
 * Temporal's own client settings, read as its CLI and SDKs read them: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH (mTLS), TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*,
 * or a profile of a TOML file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE).
 */
function temporalTarget(env: NodeJS.ProcessEnv): { target: TemporalTarget; namespace: string } {
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    // Read as given (unset names are undefined, which it takes as absent).
    loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  } catch (err) {
    throw new Error(`Temporal connection settings: ${(err as Error).message}`);
  }
  const { address, tls, apiKey, metadata } = loaded.connectionOptions;
  return {
    target: {
      address: address || '127.0.0.1:7233',
      ...(tls !== undefined && tls !== null ? { tls } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(metadata && Object.keys(metadata).length > 0 ? { metadata: metadata as Record<string, string> } : {}),
    },
    namespace: loaded.namespace || 'default',
  };
}

export function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** Unset means "derive it from the host" (see activities/capacity/host-capacity.ts). */
function optionalIntFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : intFrom(env, name, 0);
}

function boolFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`${name} must be true or false, got "${raw}"`);
}
