import fs from 'node:fs';
import YAML from 'yaml';
import { AirlockTemplateBuildError, type TemplateInfo } from '../sdk/src';
import { apiClient, type ApiTarget } from './client';
import { UsageError } from './run-command';

/**
 * `airlock template build FILE`: builds the spec in FILE (YAML or JSON), streaming the build's log
 * to stderr, and prints the template's id. Exit 0 when it is ready, 1 when the build failed.
 */
export async function templateBuildCommand(file: string, opts: ApiTarget & { json?: boolean }): Promise<number> {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (text === null) throw new UsageError(`FILE: ${file} does not exist`);
  let spec: unknown;
  try {
    spec = YAML.parse(text);
  } catch (err) {
    throw new UsageError(`FILE: ${file} is not YAML or JSON: ${(err as Error).message}`);
  }
  const client = apiClient(opts);
  try {
    const info = await client.templates.build(spec as never, {
      onEvent: (event) => {
        if (event.type === 'stdout' || event.type === 'stderr') process.stderr.write(event.data.text);
      },
    });
    process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : `${info.id}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof AirlockTemplateBuildError)) throw err;
    process.stderr.write(`airlock: ${err.message}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(err.template, null, 2)}\n`);
    return 1;
  }
}

/** `airlock template list`: the tenant's templates, a line each. */
export async function templateListCommand(opts: ApiTarget & { json?: boolean }): Promise<number> {
  const { templates } = await apiClient(opts).templates.list({ pageSize: 100 });
  if (opts.json) process.stdout.write(`${JSON.stringify({ templates }, null, 2)}\n`);
  else for (const t of templates) process.stdout.write(`${formatTemplate(t)}\n`);
  return 0;
}

export function formatTemplate(t: TemplateInfo): string {
  const size = t.sizeBytes === null ? '' : ` +${(t.sizeBytes / 1024 / 1024).toFixed(1)} MB`;
  return `${t.id}  ${t.status.padEnd(8)}  ${t.runtime.language} ${t.runtime.version}  ${t.name}${size}`;
}

export async function templateLogCommand(id: string, opts: ApiTarget): Promise<number> {
  process.stdout.write(await apiClient(opts).templates.log(id));
  return 0;
}

export async function templateDeleteCommand(id: string, opts: ApiTarget): Promise<number> {
  const info = await apiClient(opts).templates.delete(id);
  process.stdout.write(`${formatTemplate(info)}\n`);
  return 0;
}
