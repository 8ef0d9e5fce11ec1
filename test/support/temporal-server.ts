import fs from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { DEV_SERVER_DYNAMIC_CONFIG, resolveTemporalCli } from './temporal-cli';

/** A Temporal dev server owned by the test run, on its own port and SQLite file. */
export interface DevServer {
  pid: number;
  address: string;
  dbFile: string;
  logFile: string;
  args: string[];
  cli: string;
}

export function temporalCli(): string {
  const cli = resolveTemporalCli();
  if (!cli) throw new Error('no Temporal CLI found: run "npm test", which installs it, or set TEMPORAL_CLI');
  return cli;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startDevServer(opts: {
  dbFile: string;
  logFile: string;
  /** `PRAGMA=VALUE` statements for its SQLite file, e.g. FAST_SQLITE_PRAGMAS. */
  sqlitePragmas?: string[];
  /** Namespaces besides `default`, made at start. */
  namespaces?: string[];
}): Promise<DevServer> {
  const port = await freePort();
  const { sqlitePragmas = [], namespaces = [], ...files } = opts;
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    opts.dbFile,
    '--log-level',
    'warn',
    ...sqlitePragmas.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...namespaces.flatMap((namespace) => ['--namespace', namespace]),
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
  ];
  const server: DevServer = { pid: 0, address: `127.0.0.1:${port}`, args, cli: temporalCli(), ...files };
  return launch(server);
}

/**
 * Write-ahead log, synced at checkpoints: a commit is one append instead of the rollback journal's
 * fsyncs, and survives the server's SIGKILL (only a machine crash can lose the last commits).
 */
export const FAST_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** Starts the same server again on the same port and database, as after a crash. */
export async function restartDevServer(server: DevServer): Promise<DevServer> {
  return launch({ ...server });
}

export async function killDevServer(server: DevServer, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  try {
    process.kill(server.pid, signal);
  } catch {
    return; // already gone
  }
  await waitForExit(server.pid, 15_000);
}

async function launch(server: DevServer): Promise<DevServer> {
  const log = fs.openSync(server.logFile, 'a');
  const child = spawn(server.cli, server.args, { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  const started = { ...server, pid: child.pid! };
  await waitForServer(started.address, 30_000);
  return started;
}

export async function waitForServer(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal dev server at ${address} did not start: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${pid} did not exit within ${timeoutMs} ms`);
}
