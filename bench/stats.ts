/** One timed attempt and whether it produced the expected answer. */
export interface Sample {
  ms: number;
  ok: boolean;
}

export type Summary = ReturnType<typeof summarize>;

/** The nearest-rank percentile of values sorted ascending (0 for none). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(samples: Sample[]) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    n: ms.length,
    failed: samples.filter((s) => !s.ok).length,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    min: ms[0]!,
    max: ms.at(-1)!,
  };
}

/** A markdown table of named summaries, with throughput where a wall time is given. */
export function table(rows: Array<[string, Summary, number | undefined]>): string[] {
  const fmt = (n: number) => n.toFixed(0);
  return [
    '| path | n | failed | p50 ms | p95 ms | min ms | max ms | throughput/s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      ([name, s, wall]) =>
        `| ${name} | ${s.n} | ${s.failed} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.min)} | ${fmt(s.max)} | ${
          wall ? ((s.n / wall) * 1000).toFixed(1) : ''
        } |`,
    ),
  ];
}

export function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}

/** Times `fn`, counting it a success when `check` accepts its value (and it did not throw). */
export async function timed<T>(fn: () => Promise<T>, check: (value: T) => boolean): Promise<Sample> {
  const started = performance.now();
  try {
    const ok = check(await fn());
    return { ms: performance.now() - started, ok };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}
