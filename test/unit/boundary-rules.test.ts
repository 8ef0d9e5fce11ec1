// The rules the API applies with zod and the workflows' update validators apply without it come from
// one source (lib/rules.ts, lib/relative-path.ts, lib/vocabulary.ts). This checks that both sides
// decide alike on the inputs an attacker would try, so a rule edited on one side only fails here.
import { stepProblem, type StepRequest } from '../../lib/sandbox-input';
import { base64Bytes, decisionComment, decisionCommentProblem, MAX_DECISION_COMMENT } from '../../lib/rules';
import { DecisionRequest } from '../../lib/schemas/approval';
import { RelativePath, SourceFile } from '../../lib/schemas/common';
import {
  IdempotencyKey,
  MAX_SANDBOX_FILE_BYTES,
  SandboxDirectory,
  STEP_KINDS,
  StepKind,
} from '../../lib/schemas/sandbox';

const LIMITS = { maxFileBytes: MAX_SANDBOX_FILE_BYTES };
const workflowAccepts = (stepId: string, request: StepRequest) => stepProblem({ stepId, request }, LIMITS) === null;

const IDS = ['a', 'sdk-0b6f3e9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'A.b_c:d-e', 'x'.repeat(128), 'x'.repeat(129), '']
  .concat(['a b', 'a/b', 'é', 'a\n', 'a\0', '*', '%2e', '😀'])
  .concat(['..', '.']);

const PATHS = ['a', 'src/util.py', 'a.b/c', 'x'.repeat(255), 'x'.repeat(256), '', '/etc/passwd', 'a/../b'].concat([
  '..',
  '.',
  './a',
  'a/.',
  'a//b',
  'a/',
  'a\\b',
  'a\0b',
  '.airlock',
  ' a',
  'a\nb',
]);

const BASE64 = ['', 'QQ==', 'QUI=', 'QUJD', 'QUJDRA==', 'QQ', 'QQ=', 'QUJ', '====', 'Q===', 'Q Q==', 'QUJD\n'].concat([
  '@@@@',
  'QUJD-_==',
  'QQ==QQ==',
  '=QUJ',
  'QUJDRA=='.repeat(3),
]);

describe('one rule on each side of the workflow boundary', () => {
  test.each(IDS)('step id %j: the Idempotency-Key schema and the step validator agree', (id) => {
    const read: StepRequest = { kind: 'read_file', path: 'a' };
    expect(workflowAccepts(id, read)).toBe(IdempotencyKey.safeParse(id).success);
  });

  test.each(PATHS)('path %j: the path schema and the file steps agree', (path) => {
    const expected = RelativePath.safeParse(path).success;
    expect(workflowAccepts('s', { kind: 'write_file', path, contentBase64: 'QQ==' })).toBe(expected);
    expect(workflowAccepts('s', { kind: 'read_file', path })).toBe(expected);
    expect(workflowAccepts('s', { kind: 'delete_file', path })).toBe(expected);
    expect(workflowAccepts('s', { kind: 'list_files', path })).toBe(SandboxDirectory.safeParse(path).success);
  });

  test('the workspace itself may be listed, and nothing else that is not a path', () => {
    expect(SandboxDirectory.safeParse('.').success).toBe(true);
    expect(workflowAccepts('s', { kind: 'list_files', path: '.' })).toBe(true);
    expect(RelativePath.safeParse('.').success).toBe(false);
  });

  test.each(BASE64)('base64 %j: the file schema and the write step agree', (content) => {
    const schema = SourceFile.safeParse({ path: 'a', content, encoding: 'base64' }).success;
    expect(workflowAccepts('s', { kind: 'write_file', path: 'a', contentBase64: content })).toBe(schema);
  });

  test('the decoded size of valid base64 is exact, so the file bound is the same byte for byte', () => {
    for (let n = 0; n <= 64; n++) {
      const encoded = Buffer.alloc(n, 0xff).toString('base64');
      expect(base64Bytes(encoded)).toBe(n);
    }
    const at = Buffer.alloc(MAX_SANDBOX_FILE_BYTES).toString('base64');
    const over = Buffer.alloc(MAX_SANDBOX_FILE_BYTES + 1).toString('base64');
    expect(workflowAccepts('s', { kind: 'write_file', path: 'a', contentBase64: at })).toBe(true);
    expect(stepProblem({ stepId: 's', request: { kind: 'write_file', path: 'a', contentBase64: over } }, LIMITS)).toBe(
      `content must be at most ${MAX_SANDBOX_FILE_BYTES} bytes`,
    );
  });

  test.each([...STEP_KINDS, 'exec_file', 'EXEC', '', 'constructor', '__proto__'])(
    'step kind %j: the kind schema and the step validator agree',
    (kind) => {
      const requests: Record<string, StepRequest> = {
        exec: { kind: 'exec', code: 'print(1)' },
        write_file: { kind: 'write_file', path: 'a', contentBase64: 'QQ==' },
        move_path: { kind: 'move_path', path: 'a', destination: 'b' },
      };
      const request = requests[kind] ?? ({ kind, path: 'a' } as StepRequest);
      expect(workflowAccepts('s', request)).toBe(StepKind.safeParse(kind).success);
    },
  );

  const M = MAX_DECISION_COMMENT;
  test.each([
    [{}],
    [{ comment: 'ok' }],
    [{ comment: 'x'.repeat(M) }],
    [{ comment: 'x'.repeat(M + 1) }],
    [{ reviewer: 'alice' }],
    [{ reviewer: 'alice', comment: 'x'.repeat(M - 'reviewer: alice; '.length) }],
    [{ reviewer: 'alice', comment: 'x'.repeat(M - 'reviewer: alice; '.length + 1) }],
    [{ reviewer: 'r'.repeat(200), comment: 'x'.repeat(M) }],
  ])('decision %#: the API accepts exactly what the approval validator records', (body) => {
    const parsed = DecisionRequest.safeParse(body);
    const comment = parsed.success ? decisionComment(parsed.data) : decisionComment(body);
    expect(parsed.success).toBe(decisionCommentProblem(comment) === null);
    if (!parsed.success) expect(parsed.error.issues[0]?.path).toEqual(['comment']);
  });
});
