import path from 'node:path';
import ts from 'typescript';

// The SDK ships the server's schema files in its build. Anything else they pull in ships too, so a
// schema that starts importing the logger, Temporal or Docker would quietly bloat (or break) the SDK.
const ROOT = path.resolve(__dirname, '../..');
const ALLOWED = [
  /^sdk\/src\//,
  /^lib\/schemas\//,
  /^lib\/vocabulary\.ts$/,
  /^lib\/relative-path\.ts$/,
  /^lib\/rules\.ts$/,
];
const ALLOWED_PACKAGES = new Set(['zod', 'eventsource-parser']);

it('compiles only the SDK, the shared schemas and their plain helpers', () => {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'sdk/tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram(config.fileNames, config.options);
  const ours = program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile)
    .map((f) => path.relative(ROOT, f.fileName));
  expect(ours.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);

  const packages = new Set<string>();
  for (const file of program.getSourceFiles().filter((f) => !f.isDeclarationFile)) {
    file.forEachChild((node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const spec = node.moduleSpecifier.text;
        if (!spec.startsWith('.') && !spec.startsWith('node:')) packages.add(spec.split('/')[0]!);
      }
    });
  }
  expect([...packages].filter((p) => !ALLOWED_PACKAGES.has(p))).toEqual([]);
});
