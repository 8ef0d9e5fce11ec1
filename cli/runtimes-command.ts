import type { RuntimeSummary } from '../lib/schemas/runtime';
import { apiClient, type ApiTarget } from './client';

/** `airlock runtimes`: each language, its versions (the default marked) and the image each runs. */
export async function runtimesCommand(opts: ApiTarget & { json?: boolean }): Promise<number> {
  const runtimes = await apiClient(opts).runtimes();
  process.stdout.write(opts.json ? `${JSON.stringify({ runtimes }, null, 2)}\n` : formatRuntimes(runtimes));
  return 0;
}

export function formatRuntimes(runtimes: RuntimeSummary[]): string {
  const rows = runtimes.flatMap((r) =>
    r.versions.map((v) => [r.name, `${v.version}${v.default ? ' (default)' : ''}`, v.image, `debian ${v.debian}`]),
  );
  const header = ['LANGUAGE', 'VERSION', 'IMAGE', 'FROM'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return [header, ...rows].map(line).join('');
}
