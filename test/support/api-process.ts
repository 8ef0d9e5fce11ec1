import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { TEST_DIR } from './test-env';
import { ServiceProcess } from './service-process';
import { freePort } from './temporal-server';

export interface ApiProcessOptions {
  address: string;
  /** The API keys file it authenticates against. */
  keysFile: string;
  /** Where the API's log goes; default TEST_DIR. */
  logDir?: string;
  /** Added to (and overriding) the inherited environment, e.g. OTEL_* settings. */
  env?: NodeJS.ProcessEnv;
}

/** The API as it runs in production: `node dist/api/server.js`, its own process on a loopback port. */
export class ApiProcess extends ServiceProcess {
  private constructor(
    child: ChildProcess,
    readonly port: number,
    logFile: string,
    readonly options: ApiProcessOptions,
  ) {
    super(child, logFile);
  }

  static async start(opts: ApiProcessOptions, port?: number): Promise<ApiProcess> {
    const entry = path.join(PROJECT_ROOT, 'dist', 'api', 'server.js');
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    const apiPort = port ?? (await freePort());
    const logFile = path.join(opts.logDir ?? TEST_DIR, `api-${apiPort}-${Date.now()}.log`);
    const child = spawn(process.execPath, [entry], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: opts.address,
        AIRLOCK_API_HOST: '127.0.0.1',
        AIRLOCK_API_PORT: String(apiPort),
        // Any free port, so that test APIs and a running service do not compete for the default.
        AIRLOCK_API_METRICS_PORT: '0',
        AIRLOCK_KEYS_FILE: opts.keysFile,
        AIRLOCK_LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = fs.createWriteStream(logFile);
    child.stderr!.pipe(log);
    await new Promise<void>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      const timer = setTimeout(() => reject(new Error(`API not ready in 30 s; see ${logFile}`)), 30_000);
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        if (line.includes('"msg":"airlock API listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`API exited with ${code} before it was ready; see ${logFile}`));
      });
    });
    return new ApiProcess(child, apiPort, logFile, opts);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where this API serves Prometheus metrics (it logs the port it took). */
  metricsUrl(): string {
    const url = /"url":"(http:\/\/[^"]+\/metrics)","msg":"metrics served"/.exec(this.logText())?.[1];
    if (!url) throw new Error('the API has not logged its metrics address');
    return url;
  }

  /** The same API again (same port, keys and environment) in a new process, once this one has gone. */
  async restart(): Promise<ApiProcess> {
    await this.stop();
    return ApiProcess.start(this.options, this.port);
  }
}
