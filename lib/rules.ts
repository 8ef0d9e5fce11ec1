// Plain rules (no zod) shared by the zod schemas and the workflows' update validators, which must
// not load zod (it would nearly double the workflow bundle: docs/performance.md). Each rule is
// written once, here or in relative-path.ts; test/unit/boundary-rules.test.ts checks that both sides
// decide alike.

/** Idempotency keys, and the step ids and sandbox ids made from them. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const ID_RULE = '1-128 characters of A-Z a-z 0-9 . _ : -';

/** Standard base64, padded, as `Buffer.toString('base64')` writes it. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes a string that matches BASE64_PATTERN decodes to. */
export function base64Bytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** Characters of the comment an approval decision records. */
export const MAX_DECISION_COMMENT = 2000;

/** Why a decision's recorded comment is refused, or null. */
export function decisionCommentProblem(comment: unknown): string | null {
  if (comment === undefined) return null;
  if (typeof comment !== 'string' || comment.length > MAX_DECISION_COMMENT) {
    return `comment must be at most ${MAX_DECISION_COMMENT} characters`;
  }
  return null;
}

/** The comment a decision records: the reviewer's free text, from before approvers were keys, then the comment. */
export function decisionComment({ comment, reviewer }: { comment?: string; reviewer?: string }): string | undefined {
  const text = [reviewer && `reviewer: ${reviewer}`, comment].filter(Boolean).join('; ');
  return text || undefined;
}
