import { RE2JS } from 're2js';
import type { Finding, Severity } from '../schemas/findings';
import { LineIndex } from './line-index';

interface ImportSite {
  module: string;
  line: number;
}

type Extractor = (text: string) => ImportSite[];

/** RE2 patterns (linear-time whatever the text), each with one capture group naming the module(s). */
const re2 = (pattern: string) => RE2JS.compile(pattern);

function sites(text: string, patterns: RE2JS[]): ImportSite[] {
  const out: ImportSite[] = [];
  text.split('\n').forEach((line, i) => {
    for (const pattern of patterns) {
      const m = pattern.matcher(line);
      while (m.find()) {
        for (const name of (m.group(1) ?? '').split(',')) {
          const module = name
            .trim()
            .split(/\s+as\s+/)[0]!
            .trim();
          if (module) out.push({ module, line: i + 1 });
        }
      }
    }
  });
  return out;
}

const JS = [
  re2(String.raw`\brequire\s*\(\s*["'\x60]([^"'\x60]+)["'\x60]\s*\)`),
  re2(String.raw`\bimport\s*\(\s*["'\x60]([^"'\x60]+)["'\x60]`),
  re2(String.raw`\bfrom\s+["']([^"']+)["']`),
  re2(String.raw`^\s*import\s+["']([^"']+)["']`),
];

const GO_BLOCK = re2(String.raw`import\s*\(([^)]*)\)`);
const GO_PATH = /"([^"]+)"/;

/** Go's `import ( … )` blocks, each path on its own line. */
function goBlocks(text: string): ImportSite[] {
  const out: ImportSite[] = [];
  const lines = new LineIndex(text);
  const m = GO_BLOCK.matcher(text);
  while (m.find()) {
    const { line: startLine } = lines.position(m.start(1));
    (m.group(1) ?? '').split('\n').forEach((line, i) => {
      // One short line at a time: GO_PATH cannot run long.
      const path = GO_PATH.exec(line.slice(0, 4096));
      if (path) out.push({ module: path[1]!, line: startLine + i });
    });
  }
  return out;
}

/** How each language names what it loads. Matching is textual: obfuscation beats it, the sandbox does not rely on it. */
const EXTRACTORS: Record<string, Extractor> = {
  python: (t) =>
    sites(t, [
      re2(String.raw`^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)`),
      re2(String.raw`^\s*from\s+([\w.]+)\s+import\b`),
      re2(String.raw`__import__\s*\(\s*["']([\w.]+)["']`),
      re2(String.raw`import_module\s*\(\s*["']([\w.]+)["']`),
    ]),
  javascript: (t) => sites(t, JS),
  typescript: (t) => sites(t, JS),
  go: (t) => [...sites(t, [re2(String.raw`^\s*import\s+(?:\w+\s+)?"([^"]+)"`)]), ...goBlocks(t)],
  java: (t) => sites(t, [re2(String.raw`^\s*import\s+(?:static\s+)?([\w.]+?)(?:\.\*)?\s*;`)]),
  ruby: (t) => sites(t, [re2(String.raw`\brequire\s*\(?\s*["']([^"']+)["']`)]),
  rust: (t) => sites(t, [re2(String.raw`^\s*(?:pub\s+)?use\s+([\w:]+)`), re2(String.raw`^\s*extern\s+crate\s+(\w+)`)]),
  c: (t) => sites(t, [re2(String.raw`^\s*#\s*include\s*[<"]([^>"]+)[>"]`)]),
  cpp: (t) => sites(t, [re2(String.raw`^\s*#\s*include\s*[<"]([^>"]+)[>"]`)]),
};

/** `node:fs` is `fs`; a deny entry covers its submodules (`subprocess` covers `subprocess.run`, `java.net` covers `java.net.Socket`). */
export function moduleMatches(module: string, denied: string): boolean {
  const name = module.replace(/^node:/, '');
  return name === denied || [`${denied}.`, `${denied}/`, `${denied}::`].some((prefix) => name.startsWith(prefix));
}

/** Bash has no imports: a deny entry there is a command name. */
function bashCommands(text: string, denied: string[]): ImportSite[] {
  const out: ImportSite[] = [];
  text.split('\n').forEach((line, i) => {
    for (const command of denied) {
      const escaped = command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(^|[;&|({\`$\\s])${escaped}(\\s|$|[;&|)])`).test(line.replace(/#.*$/, '')))
        out.push({ module: command, line: i + 1 });
    }
  });
  return out;
}

export interface ImportCheck {
  language: string;
  files: Array<{ path: string; text: string }>;
  deny: string[];
  severity: Severity;
}

export function deniedImports({ language, files, deny, severity }: ImportCheck): Finding[] {
  if (deny.length === 0) return [];
  const findings: Finding[] = [];
  for (const file of files) {
    const found = language === 'bash' ? bashCommands(file.text, deny) : (EXTRACTORS[language]?.(file.text) ?? []);
    for (const site of found) {
      const rule = deny.find((d) => moduleMatches(site.module, d));
      if (!rule) continue;
      findings.push({
        gate: 'imports',
        ruleId: `imports/${rule}`,
        severity,
        message: `${language === 'bash' ? 'command' : 'import of'} "${site.module}" is denied by the policy`,
        location: { path: file.path, line: site.line, column: null },
        tool: 'airlock-imports',
      });
    }
  }
  return findings;
}
