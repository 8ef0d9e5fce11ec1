/**
 * The results file of bench/compare.ts (read back by bench/compare-chart.ts) and its tables.
 */
import type { TargetName } from './compare-targets';
import type { Summary } from './stats';

export interface Failure {
  item: string;
  detail: string;
}

export interface LatencyResult {
  target: TargetName;
  /** Percentiles of the successful runs; `n` and `failed` count every run. */
  summary: Summary;
  /** Every sample, in run order, so other statistics can be taken later. */
  samplesMs: number[];
  failures: Failure[];
}

export interface ThroughputResult {
  target: TargetName;
  concurrency: number;
  executions: number;
  wallMs: number;
  /** Successful executions per second of wall time. */
  perSecond: number;
  summary: Summary;
  failures: Failure[];
}

export interface WorkloadResult {
  target: TargetName;
  items: number;
  concurrency: number;
  wallMs: number;
  passed: number;
  summary: Summary;
  failures: Failure[];
}

export interface CompareResults {
  schema: 'airlock-bench-compare/1';
  startedAt: string;
  finishedAt: string;
  environment: {
    cpus: number;
    memoryGiB: number;
    node: string;
    docker: string;
    image: string;
    imageId: string;
    airlockCommit: string;
    llmSandbox: string | null;
    /** 1-minute load average before and after: other work on the machine shows here. */
    loadAverage: { start: number; end: number };
  };
  options: Record<string, unknown>;
  targets: Array<{ name: TargetName; description: string }>;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  workload: WorkloadResult[];
}

const ms = (n: number) => n.toFixed(0);
const s = (n: number) => (n / 1000).toFixed(1);

function markdown(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** The human summary printed after a run. */
export function tables(results: CompareResults): string[] {
  const lines: string[] = [];
  const [first] = results.latency;
  if (first) {
    lines.push(`Hello-world latency, sequential (${first.summary.n} runs each, interleaved)`, '');
    lines.push(
      ...markdown(
        ['target', 'n', 'failed', 'p50 ms', 'p95 ms', 'p99 ms', 'min ms', 'max ms'],
        results.latency.map(({ target, summary: x }) => [
          target,
          String(x.n),
          String(x.failed),
          ms(x.p50),
          ms(x.p95),
          ms(x.p99),
          ms(x.min),
          ms(x.max),
        ]),
      ),
      '',
    );
  }
  if (results.throughput.length > 0) {
    lines.push('Throughput, hello world, closed loop', '');
    lines.push(
      ...markdown(
        ['target', 'concurrency', 'executions', 'failed', 'wall s', 'executions/s', 'p50 ms', 'p95 ms', 'p99 ms'],
        results.throughput.map((t) => [
          t.target,
          String(t.concurrency),
          String(t.executions),
          String(t.summary.failed),
          s(t.wallMs),
          t.perSecond.toFixed(2),
          ms(t.summary.p50),
          ms(t.summary.p95),
          ms(t.summary.p99),
        ]),
      ),
      '',
    );
  }
  const [work] = results.workload;
  if (work) {
    lines.push(
      `Workload: ${work.items} Python functions with assertions, one execution each, concurrency ${work.concurrency}`,
      '',
    );
    lines.push(
      ...markdown(
        ['target', 'passed', 'wall s', 'items/s', 'p50 ms', 'p95 ms'],
        results.workload.map((w) => [
          w.target,
          `${w.passed}/${w.items}`,
          s(w.wallMs),
          ((w.passed / w.wallMs) * 1000).toFixed(2),
          ms(w.summary.p50),
          ms(w.summary.p95),
        ]),
      ),
      '',
    );
  }
  return lines;
}
