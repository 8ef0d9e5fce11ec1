import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { TEST_CLUSTER, TEST_DIR } from './test-env';
import { ServiceProcess } from './service-process';

export type WorkerRole = 'orchestration' | 'host';

export interface WorkerProcessOptions {
  address: string;
  hostId?: string;
  reaperIntervalMs?: number;
  /** A policies folder other than policies/ (tests with policies of their own). */
  policiesDir?: string;
  /** The engine a host worker drives (DOCKER_HOST, e.g. a DockerEngine's); default the system engine. */
  dockerHost?: string;
  /** The containers' cluster label; default TEST_CLUSTER. */
  cluster?: string;
  /** Where the worker's log goes; default TEST_DIR. */
  logDir?: string;
  /** Added to (and overriding) the worker's environment, e.g. OTEL_* settings. */
  env?: NodeJS.ProcessEnv;
}

/** A worker as it runs in production: its own process, started from the build in dist/. */
export class WorkerProcess extends ServiceProcess {
  private constructor(
    readonly role: WorkerRole,
    child: ChildProcess,
    logFile: string,
    readonly options: WorkerProcessOptions,
  ) {
    super(child, logFile);
  }

  static async start(role: WorkerRole, opts: WorkerProcessOptions): Promise<WorkerProcess> {
    const entry = path.join(PROJECT_ROOT, 'dist', 'workers', 'main.js');
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    const logFile = path.join(opts.logDir ?? TEST_DIR, `worker-${role}-${opts.hostId ?? 'orch'}-${Date.now()}.log`);
    const child = spawn(process.execPath, [entry, role], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: opts.address,
        AIRLOCK_CLUSTER: opts.cluster ?? TEST_CLUSTER,
        AIRLOCK_HOST_ID: opts.hostId ?? '',
        AIRLOCK_REAPER_INTERVAL_MS: String(opts.reaperIntervalMs ?? 30_000),
        AIRLOCK_LOG_LEVEL: 'info',
        // Global set-up warms it once for the whole run.
        AIRLOCK_WARM_PAGE_CACHE: 'false',
        // Several workers run at once: each takes a free port and logs it.
        AIRLOCK_WORKER_METRICS_PORT: '0',
        ...(opts.policiesDir ? { AIRLOCK_POLICIES_DIR: opts.policiesDir } : {}),
        ...(opts.dockerHost ? { DOCKER_HOST: opts.dockerHost } : {}),
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = fs.createWriteStream(logFile);
    child.stderr!.pipe(log);
    const ready = role === 'host' ? 'host worker started' : 'orchestration worker started';
    await new Promise<void>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      const timer = setTimeout(() => reject(new Error(`${role} worker not ready in 30 s; see ${logFile}`)), 30_000);
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        if (line.includes(`"msg":"${ready}"`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${role} worker exited with ${code} before it was ready; see ${logFile}`));
      });
    });
    return new WorkerProcess(role, child, logFile, opts);
  }

  /** The same worker again (same role, host id and engine), in a new process. */
  restart(): Promise<WorkerProcess> {
    return WorkerProcess.start(this.role, this.options);
  }

  /** Where this worker serves Prometheus metrics (it logs the port it took). */
  metricsUrl(): string {
    const url = /"url":"(http:\/\/[^"]+\/metrics)","msg":"metrics served"/.exec(this.logText())?.[1];
    if (!url) throw new Error(`the ${this.role} worker has not logged its metrics address`);
    return url;
  }
}
