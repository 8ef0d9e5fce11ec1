import type { ExecutionResult } from '../../lib/schemas/execution-result';
import type { Finding, Severity } from '../../lib/schemas/findings';

/** The SARIF 2.1.0 subset Airlock writes (and GitHub code scanning reads). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

interface SarifRun {
  tool: {
    driver: {
      name: string;
      version?: string;
      informationUri: string;
      rules: Array<{ id: string; shortDescription: { text: string } }>;
    };
  };
  automationDetails: { id: string };
  invocations: Array<{
    executionSuccessful: boolean;
    toolExecutionNotifications?: Array<{ level: 'error'; message: { text: string } }>;
  }>;
  results: Array<{
    ruleId: string;
    level: 'error' | 'warning' | 'note';
    message: { text: string };
    locations?: Array<{
      physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number; startColumn?: number } };
    }>;
    properties: { severity: Severity; gate: Finding['gate'] };
  }>;
  properties: { gate: string; verdict: string };
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

const TOOL_URIS: Record<string, string> = {
  bandit: 'https://bandit.readthedocs.io/',
  shellcheck: 'https://www.shellcheck.net/',
  eslint: 'https://eslint.org/',
  flawfinder: 'https://dwheeler.com/flawfinder/',
};

/** Every gate's findings as SARIF 2.1.0: one run per gate and tool, each result placed where it was found. */
export function toSarif(result: Pick<ExecutionResult, 'id' | 'gates'>): SarifLog {
  const runs: SarifRun[] = [];
  for (const gate of result.gates) {
    const tools = gate.tools.length > 0 ? gate.tools : [{ name: `airlock-${gate.gate}`, version: null }];
    for (const tool of tools) {
      const findings = gate.findings.filter((f) => f.tool === tool.name || tools.length === 1);
      const rules = [
        ...new Map(
          findings.map((f) => [f.ruleId, { id: f.ruleId, shortDescription: { text: f.message.slice(0, 200) } }]),
        ).values(),
      ];
      runs.push({
        tool: {
          driver: {
            name: tool.name,
            ...(tool.version ? { version: tool.version } : {}),
            informationUri: TOOL_URIS[tool.name] ?? 'https://github.com/airlock-dev/airlock',
            rules,
          },
        },
        automationDetails: { id: `airlock/${gate.gate}/${result.id}` },
        invocations: [
          gate.error
            ? {
                executionSuccessful: false,
                toolExecutionNotifications: [{ level: 'error', message: { text: gate.error } }],
              }
            : { executionSuccessful: true },
        ],
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          level: LEVEL[f.severity],
          message: { text: f.message },
          ...(f.location
            ? {
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: { uri: f.location.path },
                      ...(f.location.line
                        ? {
                            region: {
                              startLine: f.location.line,
                              ...(f.location.column ? { startColumn: f.location.column } : {}),
                            },
                          }
                        : {}),
                    },
                  },
                ],
              }
            : {}),
          properties: { severity: f.severity, gate: f.gate },
        })),
        properties: { gate: gate.gate, verdict: gate.verdict },
      });
    }
  }
  return { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs };
}
