import fs from 'node:fs';
import path from 'node:path';
// The SARIF schema is JSON Schema draft-04.
import Ajv from 'ajv-draft-04';
import { validateXML } from 'xmllint-wasm';
import { PROJECT_ROOT } from '../../lib/node/paths';

/** The OASIS SARIF 2.1.0 JSON schema, as shipped in @microsoft/jest-sarif. */
const sarifSchema = JSON.parse(
  fs.readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
) as Record<string, unknown>;
// unicodeRegExp off: one of the schema's patterns (language tags) is only valid without the u flag.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
const validateSarifLog = ajv.compile(sarifSchema);

/** Schema errors of a SARIF log, none when valid. */
export function sarifErrors(log: unknown): string[] {
  return validateSarifLog(log) ? [] : (validateSarifLog.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Schema errors of a JUnit XML document against docs/schemas/junit.xsd, none when valid. */
export async function junitErrors(xml: string): Promise<string[]> {
  const schema = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'schemas', 'junit.xsd'), 'utf8');
  const result = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [schema] });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}
