import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../lib/paths';

interface ComposeService {
  command?: string[];
  volumes?: string[];
  privileged?: boolean;
}

const compose = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };

describe('docker-compose.yml', () => {
  test('runs the embedded layout: Temporal, image build, workers and API', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'images', 'temporal', 'workers']);
  });

  test.each(['images', 'workers', 'api'])('%s starts an entry point that exists in the source', (name) => {
    const [node, entry] = compose.services[name]!.command!;
    expect(node).toBe('node');
    const source = entry!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(fs.existsSync(path.join(PROJECT_ROOT, source))).toBe(true);
  });

  test('only the trusted image builder is privileged, and the API has no Docker socket', () => {
    const privileged = Object.entries(compose.services)
      .filter(([, s]) => s.privileged)
      .map(([n]) => n);
    expect(privileged).toEqual(['images']);
    expect(compose.services.api!.volumes ?? []).toEqual([]);
  });
});
