import type { Finding, Severity } from '../schemas/findings';

interface ImportSite {
  module: string;
  line: number;
}

type Extractor = (text: string) => ImportSite[];

function sites(text: string, patterns: RegExp[]): ImportSite[] {
  const out: ImportSite[] = [];
  text.split('\n').forEach((line, i) => {
    for (const pattern of patterns) {
      for (const m of line.matchAll(pattern)) {
        for (const name of m[1]!.split(',')) {
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

const JS: RegExp[] = [
  /\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  /\bfrom\s+["']([^"']+)["']/g,
  /^\s*import\s+["']([^"']+)["']/g,
];

/** How each language names what it loads. Matching is textual: obfuscation beats it, the sandbox does not rely on it. */
const EXTRACTORS: Record<string, Extractor> = {
  python: (t) =>
    sites(t, [
      /^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)/g,
      /^\s*from\s+([\w.]+)\s+import\b/g,
      /__import__\s*\(\s*["']([\w.]+)["']/g,
      /import_module\s*\(\s*["']([\w.]+)["']/g,
    ]),
  javascript: (t) => sites(t, JS),
  typescript: (t) => sites(t, JS),
  go: (t) => {
    const out = sites(t, [/^\s*import\s+(?:\w+\s+)?"([^"]+)"/g]);
    for (const block of t.matchAll(/import\s*\(([^)]*)\)/g)) {
      const startLine = t.slice(0, block.index).split('\n').length;
      block[1]!.split('\n').forEach((line, i) => {
        const m = /"([^"]+)"/.exec(line);
        if (m) out.push({ module: m[1]!, line: startLine + i });
      });
    }
    return out;
  },
  java: (t) => sites(t, [/^\s*import\s+(?:static\s+)?([\w.]+?)(?:\.\*)?\s*;/g]),
  ruby: (t) => sites(t, [/\brequire\s*\(?\s*["']([^"']+)["']/g]),
  rust: (t) => sites(t, [/^\s*(?:pub\s+)?use\s+([\w:]+)/g, /^\s*extern\s+crate\s+(\w+)/g]),
  c: (t) => sites(t, [/^\s*#\s*include\s*[<"]([^>"]+)[>"]/g]),
  cpp: (t) => sites(t, [/^\s*#\s*include\s*[<"]([^>"]+)[>"]/g]),
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
