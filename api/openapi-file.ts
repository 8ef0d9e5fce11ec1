/**
 * Writes the API's OpenAPI document to docs/openapi.json, or with `--check` fails when the committed
 * copy differs from what the code builds (CI runs the check, so the copy never drifts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openApiDocument } from './openapi';

const FILE = path.resolve(__dirname, '../../docs/openapi.json');

function main(): void {
  const text = `${JSON.stringify(openApiDocument(), null, 2)}\n`;
  if (!process.argv.includes('--check')) {
    fs.writeFileSync(FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), FILE)}`);
    return;
  }
  const committed = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '';
  if (committed !== text) {
    console.error('docs/openapi.json differs from the document the code builds: run `npm run openapi` and commit it');
    process.exit(1);
  }
  console.log('docs/openapi.json matches the code');
}

main();
