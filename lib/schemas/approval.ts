import { z } from 'zod';
import { MAX_DECISION_COMMENT, decisionComment } from '../rules';
import type { Approval } from './execution-result';

/** The body of `POST /v1/executions/:id/approve` and `/reject`. */
export const DecisionRequest = z
  .strictObject({
    comment: z.string().max(MAX_DECISION_COMMENT).optional(),
    /** Before approvers were keys: free text, now kept only as part of the comment. */
    reviewer: z.string().trim().min(1).max(200).optional(),
  })
  .superRefine((body, ctx) => {
    // The workflow bounds the comment it records, which carries the reviewer's text too.
    if ((decisionComment(body)?.length ?? 0) > MAX_DECISION_COMMENT) {
      const message = `with the reviewer's text, must be at most ${MAX_DECISION_COMMENT} characters`;
      ctx.addIssue({ code: 'custom', path: ['comment'], message });
    }
  });
export type DecisionRequest = z.input<typeof DecisionRequest>;

/** Their answer: the approval as it stands after the decision. */
export interface DecisionResponse {
  id: string;
  approval: Approval;
}
