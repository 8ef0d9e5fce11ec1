import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../support/temporal-cli';
import { PROJECT_ROOT } from '../../lib/node/paths';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

test('the embedded dev server starts with the same dynamic config as the test servers', () => {
  const upScript = read('scripts/up.sh');
  for (const value of DEV_SERVER_DYNAMIC_CONFIG) expect(upScript).toContain(`--dynamic-config-value ${value}`);
});

test("the compose deployment's Temporal has the same dynamic config", () => {
  const compose = parse(read('docker-compose.yml')) as { configs: Record<string, { content: string }> };
  const dynamic = parse(compose.configs['temporal-dynamic-config']!.content) as Record<
    string,
    Array<{ value: unknown }>
  >;
  for (const setting of DEV_SERVER_DYNAMIC_CONFIG) {
    const [key, value] = setting.split('=');
    expect(String(dynamic[key!]?.[0]?.value)).toBe(value);
  }
});
