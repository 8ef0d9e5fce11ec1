/**
 * The OpenAPI document: the same as the committed docs/openapi.json, and in step with the routes:
 * every route the API defines is documented, and nothing is documented that no route serves.
 * (scripts/validate-openapi.mjs checks it against the OpenAPI 3.1 schema in CI.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '../../api/openapi';

const ROOT = path.resolve(__dirname, '../..');
const doc = openApiDocument();

test('docs/openapi.json is the document the code builds', () => {
  const committed = fs.readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8');
  expect(JSON.parse(committed)).toEqual(JSON.parse(JSON.stringify(doc)));
});

/** Where app.ts mounts each router file. */
const MOUNTS: Record<string, string> = {
  'api/routes/executions.ts': '/v1/executions',
  'api/routes/outputs.ts': '/v1/executions',
  'api/routes/sandboxes.ts': '/v1/sandboxes',
  'api/routes/templates.ts': '/v1/templates',
  'api/routes/keys.ts': '/v1/keys',
  'api/routes/codec.ts': '/v1/codec',
  'api/app.ts': '',
};
/** The two routes made in loops, with the values the loops take. */
const LOOPS: Record<string, string[]> = { '${action}': ['approve', 'reject'], '${name}': ['encode', 'decode'] };
/** Probes and the E2B surface are described elsewhere (docs/api.md, docs/e2b.md). */
const UNDOCUMENTED = new Set(['get /healthz', 'get /readyz']);

function definedRoutes(): string[] {
  const routes: string[] = [];
  for (const [file, prefix] of Object.entries(MOUNTS)) {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of source.matchAll(/\b(?:router|app)\.(get|post|put|delete)\(\s*[`']([^`']+)[`']/g)) {
      const [, method, route] = m as unknown as [string, string, string];
      const loop = Object.keys(LOOPS).find((k) => route.includes(k));
      const expanded = loop ? LOOPS[loop]!.map((v) => route.replace(loop, v)) : [route];
      for (const r of expanded) {
        const full = `${prefix}${r === '/' ? '' : r}`.replace(/:(\w+)/g, '{$1}');
        routes.push(`${method} ${full}`);
      }
    }
  }
  return routes.filter((r) => !UNDOCUMENTED.has(r)).sort();
}

test('documents every route the API defines, and only those', () => {
  const documented = Object.entries(doc.paths ?? {})
    .flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m} ${p}`))
    .sort();
  expect(documented).toEqual(definedRoutes());
});
