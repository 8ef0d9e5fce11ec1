import { type ParsedTests, seconds } from './types';

interface GoTestEvent {
  Action?: string;
  Test?: string;
  Elapsed?: number;
  Output?: string;
}

/** `go test -json`: one event per line; a test's output lines become its message when it fails. */
export function parseGoJson(text: string): ParsedTests {
  const outputs = new Map<string, string[]>();
  const results: ParsedTests = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: GoTestEvent;
    try {
      event = JSON.parse(line) as GoTestEvent;
    } catch {
      continue;
    }
    if (!event.Test) continue;
    if (event.Action === 'output' && event.Output) {
      const lines = outputs.get(event.Test) ?? [];
      if (!/^(=== RUN|--- (PASS|FAIL|SKIP))/.test(event.Output.trim())) lines.push(event.Output.trimEnd());
      outputs.set(event.Test, lines);
    }
    if (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip') {
      const status = event.Action === 'pass' ? 'passed' : event.Action === 'fail' ? 'failed' : 'skipped';
      const message = status === 'failed' ? (outputs.get(event.Test) ?? []).join('\n').trim() || null : null;
      results.push({ name: event.Test, status, durationMs: seconds(event.Elapsed), message });
    }
  }
  return results;
}
