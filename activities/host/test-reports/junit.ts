import { XMLParser } from 'fast-xml-parser';
import { type ParsedTests, seconds } from './types';

interface XmlTestCase {
  '@_name'?: string;
  '@_classname'?: string;
  '@_time'?: string;
  failure?: XmlMessage | XmlMessage[] | string;
  error?: XmlMessage | XmlMessage[] | string;
  skipped?: XmlMessage | string;
}
type XmlMessage = { '@_message'?: string; '#text'?: string } | string;

const parser = new XMLParser({
  ignoreAttributes: false,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error'].includes(name),
  processEntities: true,
  // Runners write newlines in attributes as &#10;.
  htmlEntities: true,
});

/**
 * JUnit XML as pytest, the JUnit Platform console, GoogleTest and bats write it. The file sits in
 * the sandbox's workspace, so the program may have rewritten it: DTDs (and with them entity
 * expansion) are refused outright.
 */
export function parseJunit(xml: string): ParsedTests {
  if (/<!(DOCTYPE|ENTITY)/i.test(xml)) throw new Error('the report declares a DTD or entities; refused');
  const doc = parser.parse(xml) as Record<string, unknown>;
  const cases: XmlTestCase[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.testcase)) cases.push(...(record.testcase as XmlTestCase[]));
    for (const key of ['testsuites', 'testsuite']) {
      const child = record[key];
      if (Array.isArray(child)) child.forEach(visit);
      else visit(child);
    }
  };
  visit(doc);
  return cases.map((c) => {
    const failure = first(c.failure);
    const error = first(c.error);
    const status =
      error !== undefined ? 'error' : failure !== undefined ? 'failed' : c.skipped !== undefined ? 'skipped' : 'passed';
    const name = [c['@_classname'], c['@_name']].filter(Boolean).join('.') || '(unnamed)';
    return { name, status, durationMs: seconds(c['@_time']), message: messageOf(error ?? failure ?? c.skipped) };
  });
}

function first<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Lines of a failure's body kept after its message: enough for an assertion's context, not a whole stack. */
const BODY_LINES = 10;

function messageOf(node: XmlMessage | undefined): string | null {
  if (node === undefined) return null;
  if (typeof node === 'string') return node.trim() || null;
  const body = (node['#text'] ?? '').trim().split('\n').slice(0, BODY_LINES).join('\n');
  const text = [node['@_message'], body].filter((t) => typeof t === 'string' && t.trim()).join('\n');
  return text.trim() || null;
}
