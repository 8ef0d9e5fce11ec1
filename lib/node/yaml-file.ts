import fs from 'node:fs';
import crypto from 'node:crypto';
import YAML from 'yaml';
import type { z } from 'zod';

export class DefinitionError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'DefinitionError';
  }
}

export interface LoadedYaml<T> {
  value: T;
  sha256: string;
}

/** Reads a YAML file and validates it, naming the file and the path inside it on any error. */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): LoadedYaml<z.output<S>> {
  const raw = fs.readFileSync(file);
  const doc = YAML.parseDocument(raw.toString('utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) throw new DefinitionError(file, '', doc.errors[0]!.message);
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DefinitionError(file, issue.path.join('.') || '(root)', issue.message);
  }
  return { value: parsed.data, sha256: crypto.createHash('sha256').update(raw).digest('hex') };
}
