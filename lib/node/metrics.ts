import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Stage and execution durations: from tens of milliseconds to the longest policy ceiling. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The Prometheus metrics of one process. Workers and the API each make one; the embedded `all`
 * role shares one between its workers.
 */
export class AirlockMetrics {
  readonly registry = new Registry();

  readonly executions = new Counter({
    name: 'airlock_executions_total',
    help: 'Executions that reached a terminal status, by status and language.',
    labelNames: ['status', 'language'] as const,
    registers: [this.registry],
  });

  readonly executionDuration = new Histogram({
    name: 'airlock_execution_duration_seconds',
    help: 'From submission to the terminal status, by language.',
    labelNames: ['language'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly stageDuration = new Histogram({
    name: 'airlock_stage_duration_seconds',
    help: 'Pipeline stage durations (workflow time), by stage and outcome.',
    labelNames: ['stage', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly sandboxSteps = new Counter({
    name: 'airlock_sandbox_steps_total',
    help: 'Sandbox steps that finished, by kind and status.',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly reaped = new Counter({
    name: 'airlock_containers_reaped_total',
    help: 'Containers the reaper removed, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly engineUp = new Gauge({
    name: 'airlock_engine_up',
    help: "1 while this host worker's Docker engine answers (asked at every reaper sweep), else 0.",
    registers: [this.registry],
  });

  readonly reapFailures = new Counter({
    name: 'airlock_reaper_failures_total',
    help: 'Containers the reaper could not judge or remove; it goes on with the rest, and tries them again next sweep.',
    registers: [this.registry],
  });

  readonly poolClaims = new Counter({
    name: 'airlock_pool_claims_total',
    help: 'Container claims from the warm pools, by image and result (hit: a pooled container; miss: made on demand).',
    labelNames: ['image', 'result'] as const,
    registers: [this.registry],
  });

  readonly poolCreated = new Counter({
    name: 'airlock_pool_containers_created_total',
    help: 'Containers made ahead of demand for the warm pools, by image.',
    labelNames: ['image'] as const,
    registers: [this.registry],
  });

  readonly poolRemoved = new Counter({
    name: 'airlock_pool_containers_removed_total',
    help: 'Pooled containers removed unclaimed, by reason (retired, drained, broken, stale).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly backlog: Gauge<'queue'>;

  /** `readBacklog` fills the backlog gauge at each scrape (the API's, which asks Temporal). */
  constructor(role: string, readBacklog?: (gauge: Gauge<'queue'>) => Promise<void>) {
    this.backlog = new Gauge({
      name: 'airlock_task_queue_backlog',
      help: 'Tasks waiting on a task queue (approximate, from DescribeTaskQueue), by queue.',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      ...(readBacklog
        ? {
            async collect(this: Gauge<'queue'>) {
              await readBacklog(this);
            },
          }
        : {}),
    });
    this.registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Pool sizes, read from the pools at each scrape. */
  observePools(read: () => Array<{ image: string; profile: string; idle: number; target: number }>): void {
    const gauge = (name: string, help: string, field: 'idle' | 'target') =>
      new Gauge({
        name,
        help,
        labelNames: ['image', 'profile'] as const,
        registers: [this.registry],
        collect(this: Gauge<'image' | 'profile'>) {
          this.reset();
          for (const pool of read()) this.set({ image: pool.image, profile: pool.profile }, pool[field]);
        },
      });
    gauge('airlock_pool_idle_containers', 'Idle containers in the warm pools, by image and profile.', 'idle');
    gauge(
      'airlock_pool_target_containers',
      'What each warm pool is sized to hold now, by image and profile.',
      'target',
    );
  }

  /** Serves `GET /metrics` on its own port (workers have no HTTP server otherwise). */
  serve(port: number, host: string): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}
