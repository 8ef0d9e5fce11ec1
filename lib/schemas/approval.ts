import { z } from 'zod';
import type { Approval } from './execution-result';

/** The body of `POST /v1/executions/:id/approve` and `/reject`. */
export const DecisionRequest = z.strictObject({
  comment: z.string().max(2000).optional(),
  /** Before approvers were keys: free text, now kept only as part of the comment. */
  reviewer: z.string().trim().min(1).max(200).optional(),
});
export type DecisionRequest = z.input<typeof DecisionRequest>;

/** Their answer: the approval as it stands after the decision. */
export interface DecisionResponse {
  id: string;
  approval: Approval;
}
