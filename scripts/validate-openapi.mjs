// Validates docs/openapi.json against the OpenAPI 3.1 specification's own JSON Schema (CI runs it;
// the validator is an ES module, so this is a plain Node script rather than a jest test).
import fs from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';

const file = new URL('../docs/openapi.json', import.meta.url);
const validator = new Validator();
const result = await validator.validate(JSON.parse(fs.readFileSync(file, 'utf8')));
if (!result.valid || validator.version !== '3.1') {
  console.error(`docs/openapi.json is not valid OpenAPI 3.1 (read as ${validator.version}):`);
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log('docs/openapi.json is valid OpenAPI 3.1');
