/**
 * Draws the results of bench/compare.ts as one SVG: hello-world latency percentiles, throughput by
 * concurrency, latency against concurrency (p50, p95, p99 as lines), and the workload's wall time. Apache ECharts
 * renders the SVG in Node directly (server-side rendering), with no browser or canvas.
 *
 *   node dist/bench/compare-chart.js [--in bench/results/compare-<date>.json] [--out bench/results/compare.svg]
 *
 * Without --in, the newest bench/results/compare-*.json is drawn.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as echarts from 'echarts';
import { PROJECT_ROOT } from '../lib/node/paths';
import type { CompareResults } from './compare-results';
import type { TargetName } from './compare-targets';

const RESULTS_DIR = path.join(PROJECT_ROOT, 'bench', 'results');
const WIDTH = 1600;
const HEIGHT = 520;

const LABELS: Record<TargetName, string> = {
  airlock: 'Airlock API',
  docker: 'docker run --rm',
  'llm-sandbox': 'llm-sandbox',
};
const COLORS: Record<TargetName, string> = { airlock: '#2f6fdf', docker: '#8c8c8c', 'llm-sandbox': '#e0862c' };

/** Where the four panels start, left to right, as fractions of the width. */
const PANEL_LEFT = [0.04, 0.29, 0.54, 0.79];
const PANEL_WIDTH = 0.19;
/** Line styles of the latency-by-concurrency panel. */
const PERCENTILES = [
  ['p50', 'solid'],
  ['p95', 'dashed'],
  ['p99', 'dotted'],
] as const;

function newestResults(): string {
  const files = fs.existsSync(RESULTS_DIR)
    ? fs.readdirSync(RESULTS_DIR).filter((f) => /^compare-.*\.json$/.test(f))
    : [];
  // By when each run started, as recorded in it: names of runs on one day do not sort by time, and a
  // fresh checkout gives every file the same modification time.
  const measuredAt = (f: string) =>
    Date.parse((JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as { startedAt: string }).startedAt);
  const newest = files.sort((a, b) => measuredAt(a) - measuredAt(b)).at(-1);
  if (!newest) throw new Error(`no compare-*.json in ${RESULTS_DIR}: run npm run bench:compare first`);
  return path.join(RESULTS_DIR, newest);
}

const rounded = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function chartOption(results: CompareResults): echarts.EChartsOption {
  const targets = results.targets.map((t) => t.name);
  const levels = [...new Set(results.throughput.map((t) => t.concurrency))];
  const [work] = results.workload;
  const panelTitles = [
    'Hello world: latency (ms, lower is better)',
    'Hello world: throughput (executions/s, higher is better)',
    'Hello world: latency by concurrency (ms; p50 —, p95 --, p99 ··)',
    work ? `${work.items} functions with assertions: wall time (s)` : 'Workload: not run',
  ];
  const label = {
    show: true,
    position: 'top' as const,
    fontSize: 10,
    formatter: (p: { value: unknown }) => rounded(Number(p.value)),
  };

  const series: echarts.SeriesOption[] = targets.flatMap((target) => {
    const base = { type: 'bar' as const, name: LABELS[target], itemStyle: { color: COLORS[target] }, label };
    const lat = results.latency.find((l) => l.target === target)?.summary;
    const workload = results.workload.find((w) => w.target === target);
    return [
      { ...base, xAxisIndex: 0, yAxisIndex: 0, data: lat ? [lat.p50, lat.p95, lat.p99] : [] },
      {
        ...base,
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: levels.map(
          (c) => results.throughput.find((t) => t.target === target && t.concurrency === c)?.perSecond ?? 0,
        ),
      },
      ...PERCENTILES.map(([p, type]): echarts.SeriesOption => ({
        type: 'line',
        name: LABELS[target],
        xAxisIndex: 2,
        yAxisIndex: 2,
        lineStyle: { color: COLORS[target], type },
        itemStyle: { color: COLORS[target] },
        data: levels.map(
          (c) => results.throughput.find((t) => t.target === target && t.concurrency === c)?.summary[p] ?? null,
        ),
      })),
      {
        ...base,
        xAxisIndex: 3,
        yAxisIndex: 3,
        data: workload ? [workload.wallMs / 1000] : [],
        label: {
          ...label,
          formatter: () =>
            workload ? `${rounded(workload.wallMs / 1000)}\n${workload.passed}/${workload.items} passed` : '',
        },
      },
    ];
  });

  const { environment: env } = results;
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'Helvetica, Arial, sans-serif' },
    title: [
      {
        text: `Airlock vs docker run vs llm-sandbox ${env.llmSandbox ?? ''} on ${env.image}`,
        subtext:
          `${results.startedAt.slice(0, 10)} · ${env.cpus} CPUs, ${env.memoryGiB} GiB · Docker ${env.docker} · ` +
          `load average ${env.loadAverage.start.toFixed(1)} → ${env.loadAverage.end.toFixed(1)}`,
        left: 'center',
        top: 8,
      },
      ...panelTitles.map((text, i) => ({
        text,
        left: `${PANEL_LEFT[i]! * 100}%`,
        top: 92,
        textStyle: { fontSize: 12, fontWeight: 'normal' as const },
      })),
    ],
    // Server-side rendering only estimates text widths, so leave the legend room.
    legend: { top: 62, itemGap: 40, data: targets.map((t) => LABELS[t]) },
    grid: PANEL_LEFT.map((left) => ({ left: `${left * 100}%`, width: `${PANEL_WIDTH * 100}%`, top: 130, bottom: 50 })),
    xAxis: [
      { gridIndex: 0, type: 'category', data: ['p50', 'p95', 'p99'] },
      {
        gridIndex: 1,
        type: 'category',
        data: levels.map(String),
        name: 'concurrency',
        nameLocation: 'middle',
        nameGap: 28,
      },
      {
        gridIndex: 2,
        type: 'category',
        data: levels.map(String),
        name: 'concurrency',
        nameLocation: 'middle',
        nameGap: 28,
      },
      {
        gridIndex: 3,
        type: 'category',
        data: [work ? `${work.items} executions, concurrency ${work.concurrency}` : ''],
      },
    ],
    // Headroom above the tallest bar for its label.
    yAxis: [0, 1, 2, 3].map((gridIndex) => ({
      gridIndex,
      type: 'value' as const,
      boundaryGap: [0, '15%'] as [number, string],
    })),
    series,
  };
}

function renderSvg(results: CompareResults): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption(chartOption(results));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      in: { type: 'string' },
      out: { type: 'string', default: path.join(RESULTS_DIR, 'compare.svg') },
    },
  });
  const input = path.resolve(values.in ?? newestResults());
  const results = JSON.parse(fs.readFileSync(input, 'utf8')) as CompareResults;
  if (results.schema !== 'airlock-bench-compare/1') throw new Error(`${input} is not a compare results file`);
  const out = path.resolve(values.out!);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${renderSvg(results)}\n`);
  process.stdout.write(`${path.relative(process.cwd(), input)} -> ${path.relative(process.cwd(), out)}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`chart failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
